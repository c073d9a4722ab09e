"""The labelled follow-up check: omit one criterion, expect the follow-up to probe exactly it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from interviewer.adapters.judge.offline.judge import OfflineJudge
from interviewer.adapters.retrieval.faiss_index import FaissRetriever
from interviewer.core import interview
from interviewer.core.models import Question, Rubric
from interviewer.core.planning import planned
from interviewer.core.state import (
    AnswerSubmitted,
    GradeReady,
    InterviewConfig,
    SelectFollowUp,
)


@dataclass(frozen=True, slots=True)
class FollowUpCase:
    question_id: str
    omitted: str
    chosen: str | None  # criterion id the follow-up probes, or None when none was asked


def answer_without(rubric: Rubric, omitted: str) -> str:
    """An answer stating every criterion of the rubric except one."""
    return " ".join(c.statement for c in rubric.criteria if c.id != omitted)


def run_case(q: Question, omitted: str, judge: OfflineJudge, retriever: FaissRetriever) -> FollowUpCase:
    """Drive the real state machine, judge and retriever for one leave-one-out answer."""
    assert q.rubric is not None
    state, _ = interview.start("eval", InterviewConfig(num_questions=1, max_followups=1),
                               (planned(q),), 0.0)
    text = answer_without(q.rubric, omitted)
    state, _ = interview.step(state, AnswerSubmitted(text, 1.0))
    grade = judge.grade_sync(question=q, rubric=q.rubric, answer=text)
    state, actions = interview.step(state, GradeReady(0, grade, 2.0))
    select = next((a for a in actions if isinstance(a, SelectFollowUp)), None)
    if select is None:
        return FollowUpCase(q.id, omitted, None)
    probe = retriever.select_probe(q, select.candidates[0], text, select.exclude)
    return FollowUpCase(q.id, omitted, probe.criterion_id if probe else None)


def precision_at_1(questions: Sequence[Question], judge: OfflineJudge,
                   retriever: FaissRetriever) -> tuple[float, list[FollowUpCase]]:
    """Share of leave-one-out answers whose follow-up targets the omitted criterion."""
    cases = [
        run_case(q, c.id, judge, retriever)
        for q in questions if q.rubric is not None for c in q.rubric.criteria
    ]
    hits = sum(1 for c in cases if c.chosen == c.omitted)
    return (hits / len(cases) if cases else 0.0), cases
