"""Browsing the bank: the questions that match a filter, and how the matches spread."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from interviewer.core.models import Question
from interviewer.core.planning import matches
from interviewer.core.ports import QuestionBank


@dataclass(frozen=True)
class Filtered:
    hits: list[Question]
    facets: dict[str, dict[str, int]]  # company / difficulty / topic -> value -> matches


def filter_bank(bank: QuestionBank, *, company: str | None = None, difficulty: str | None = None,
                topics: Sequence[str] = (), tag: str | None = None) -> Filtered:
    """The bank's questions that match, in bank order, with their counts per facet."""
    hits = [q for q in bank.all()
            if matches(q, company=company, difficulty=difficulty, topics=topics)
            and (tag is None or tag in q.tags)]
    facets = {
        "company": dict(Counter(c for q in hits for c in q.companies)),
        "difficulty": dict(Counter(q.difficulty.value for q in hits)),
        "topic": dict(Counter(q.area for q in hits)),
    }
    return Filtered(hits, facets)
