"""Browsing the bank: the questions that match a filter, and how the matches spread."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from interviewer.core.code_grade import code_question
from interviewer.core.models import Question
from interviewer.core.planning import matches
from interviewer.core.ports import QuestionBank
from interviewer.errors import NotFound
from interviewer.service.codec import question_from_dict
from interviewer.service.container import Services


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


async def question_for(svc: Services, org_id: str, question_id: str) -> Question:
    """A bank question, a coding problem, else the org's own question (with its derived rubric)."""
    try:
        return svc.bank.get(question_id)
    except NotFound:
        pass
    try:
        return code_question(svc.code_bank.get(question_id))
    except NotFound:
        pass
    doc = await svc.admin.get_question(org_id, question_id)
    if doc is None:
        raise NotFound(f"no question {question_id!r}")
    found = question_from_dict(doc)
    return found if found.rubric is not None else replace(found, rubric=await svc.rubrics.get_async(found))
