"""JSON-ready dicts of core objects for stores and the wire (pydantic over the core dataclasses)."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from interviewer.core.models import Question
from interviewer.core.state import InterviewState

_state: TypeAdapter[InterviewState] = TypeAdapter(InterviewState)


def state_to_dict(state: InterviewState) -> dict[str, Any]:
    return _state.dump_python(state, mode="json")  # type: ignore[no-any-return]


def state_from_dict(data: dict[str, Any]) -> InterviewState:
    return _state.validate_python(data)


_question: TypeAdapter[Question] = TypeAdapter(Question)


def question_to_dict(question: Question) -> dict[str, Any]:
    return _question.dump_python(question, mode="json")  # type: ignore[no-any-return]


def question_from_dict(data: dict[str, Any]) -> Question:
    return _question.validate_python(data)
