"""Choosing the questions of an interview from the bank: pure and deterministic for a seed."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from interviewer.core.code import CodeProblem
from interviewer.core.models import Difficulty, Question
from interviewer.core.state import AnswerKind, InterviewConfig, PlannedQuestion


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


def planned_code(p: CodeProblem) -> PlannedQuestion:
    """A coding problem as a main question (its statement is the question's text)."""
    return PlannedQuestion(p.id, p.statement.strip(), p.topic, Difficulty.MEDIUM.value, (),
                           kind_of_answer=AnswerKind.CODE)


def with_code(
    plan: tuple[PlannedQuestion, ...], problems: Sequence[CodeProblem], config: InterviewConfig,
    seed: int,
) -> tuple[PlannedQuestion, ...]:
    """The plan with one coding problem as its last question (on the chosen topics when one is),
    in place of the last written question when the plan is full; unchanged if it has one already."""
    if not problems or any(q.kind_of_answer is AnswerKind.CODE for q in plan):
        return plan
    pool = [p for p in problems if p.topic in config.topics] or list(problems)
    chosen = random.Random(seed).choice(sorted(pool, key=lambda p: p.id))
    keep = plan if len(plan) < config.num_questions else plan[: config.num_questions - 1]
    return (*keep, planned_code(chosen))
