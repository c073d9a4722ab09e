"""Grading route for partners: a bank question or their own question and sample answer."""

from __future__ import annotations

from fastapi import APIRouter

from interviewer.api.deps import ServicesDep
from interviewer.api.schemas import ErrorResponse, GradeCreate
from interviewer.protocol import GradeBody
from interviewer.service.grading import grade_answer
from interviewer.service.messages import grade_body

router = APIRouter(prefix="/v1", tags=["grading"])

ERRORS = {
    404: {"model": ErrorResponse, "description": "unknown question_id"},
    413: {"model": ErrorResponse, "description": "answer longer than the limit"},
    422: {"model": ErrorResponse, "description": "invalid body"},
}


@router.post("/grade", response_model=GradeBody, responses=ERRORS)  # type: ignore[arg-type]
async def grade(body: GradeCreate, svc: ServicesDep) -> GradeBody:
    """Grade one answer; the response has the same shape as the websocket `grade` message."""
    q, g = await grade_answer(
        svc, answer=body.answer, question_id=body.question_id, question=body.question,
        sample_answer=body.sample_answer,
    )
    return grade_body(g, svc.rubric_for(q))
