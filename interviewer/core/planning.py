"""Choosing the questions of an interview from the bank: pure and deterministic for a seed."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from interviewer.core.models import Question
from interviewer.core.state import InterviewConfig, PlannedQuestion


def matches(q: Question, *, company: str | None, difficulty: str | None, topics: Sequence[str]) -> bool:
    """Whether a question fits the filters (an empty filter matches everything)."""
    if company and company not in q.companies:
        return False
    if difficulty and q.difficulty.value != difficulty:
        return False
    return not topics or q.area in topics


def planned(q: Question) -> PlannedQuestion:
    return PlannedQuestion(q.id, q.text, q.area, q.difficulty.value, q.companies)


def plan_questions(
    questions: Sequence[Question], config: InterviewConfig, seed: int
) -> tuple[PlannedQuestion, ...]:
    """Pick up to `num_questions` matching questions, spread across topics, in a seeded order."""
    pool = [q for q in questions if matches(
        q, company=config.company, difficulty=config.difficulty, topics=config.topics)]
    rng = random.Random(seed)
    by_topic: dict[str, list[Question]] = defaultdict(list)
    for q in sorted(pool, key=lambda q: q.id):
        by_topic[q.area].append(q)
    for items in by_topic.values():
        rng.shuffle(items)
    topics = sorted(by_topic)
    rng.shuffle(topics)
    chosen: list[Question] = []
    while len(chosen) < config.num_questions and any(by_topic.values()):
        for t in topics:
            if by_topic[t] and len(chosen) < config.num_questions:
                chosen.append(by_topic[t].pop())
    return tuple(planned(q) for q in chosen)
