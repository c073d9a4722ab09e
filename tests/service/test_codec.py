"""Stored documents: grades written before `needs_review` existed still load, and derive it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from interviewer.core import interview
from interviewer.core.models import Verdict
from interviewer.core.state import AnswerSubmitted, GradeAnswer, GradeReady, InterviewState
from interviewer.service.codec import state_from_dict, state_to_dict
from tests.core.test_interview import make_grade, started


def graded(*flags: str) -> InterviewState:
    state, actions = interview.step(started(2), AnswerSubmitted("an answer", 1.0))
    ask = next(a for a in actions if isinstance(a, GradeAnswer))
    grade = replace(make_grade(ask.question_id, {"a": Verdict.MET}), flags=flags)
    state, _ = interview.step(state, GradeReady(ask.turn_index, grade, 2.0))
    return state


def as_old_document(data: dict[str, Any]) -> dict[str, Any]:
    for turn in data["turns"]:
        if turn.get("grade"):
            del turn["grade"]["needs_review"]
    return data


def test_old_stored_grades_load_and_derive_needs_review_from_their_flags() -> None:
    for flags, expected in (((), False), (("prompt_injection",), True), (("cached",), False)):
        data = state_to_dict(graded(*flags))
        assert data["turns"][0]["grade"]["needs_review"] is expected
        loaded = state_from_dict(as_old_document(data))
        grade = loaded.turns[0].grade
        assert grade is not None and grade.needs_review is expected and grade.flags == flags


def test_a_grade_round_trips_with_needs_review() -> None:
    state = graded("judges_disagree")
    again = state_from_dict(state_to_dict(state))
    assert again == state and again.turns[0].grade is not None and again.turns[0].grade.needs_review
