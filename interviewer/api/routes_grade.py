"""Grading routes for partners: a bank question or their own question and sample answer."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from interviewer.api.deps import Grader, IdempotencyKey, ServicesDep
from interviewer.schemas.interviews import GradeBatchCreate, GradeBatchItem, GradeBatchRead
from interviewer.schemas.protocol import GradeBody
from interviewer.schemas.rest import ErrorBody, GradeCreate, errors
from interviewer.service.code_grading import grade_code_submission
from interviewer.service.grading import GradeItem, grade_answer, grade_many
from interviewer.service.idempotency import Outcome, idempotent
from interviewer.service.messages import grade_body

router = APIRouter(prefix="/v1", tags=["grading"])


def _reply(out: Outcome) -> Response:
    headers = {"Idempotent-Replayed": "true"} if out.replayed else None
    return JSONResponse(out.body, status_code=out.status_code, headers=headers)


@router.post("/grade", response_model=GradeBody, responses=errors(404, 409, 413))
async def grade(
    body: GradeCreate, svc: ServicesDep, principal: Grader, idempotency_key: IdempotencyKey = None
) -> Response:
    """Grade one answer (or code); the response has the same shape as the websocket `grade` message."""

    async def run() -> Outcome:
        if body.problem_id is not None and body.code is not None:
            q, g = await grade_code_submission(svc, problem_id=body.problem_id, code=body.code,
                                               explanation=body.explanation or "")
        else:
            assert body.answer is not None  # checked by GradeCreate
            q, g = await grade_answer(
                svc, answer=body.answer, question_id=body.question_id, question=body.question,
                sample_answer=body.sample_answer,
            )
        return Outcome(200, grade_body(g, svc.rubrics.get(q)).model_dump(mode="json"))

    return _reply(await idempotent(svc, principal=principal, endpoint="grade", key=idempotency_key,
                                   request=body.model_dump(mode="json"), run=run))


@router.post("/grade/batch", response_model=GradeBatchRead, responses=errors(400, 409))
async def grade_batch(
    body: GradeBatchCreate, svc: ServicesDep, principal: Grader, idempotency_key: IdempotencyKey = None
) -> Response:
    """Grade up to 100 answers; each item has its grade or its own error, in request order."""

    async def run() -> Outcome:
        items = [GradeItem(i.answer or "", i.question_id, i.question, i.sample_answer) for i in body.items]
        out: list[GradeBatchItem] = []
        for n, r in enumerate(await grade_many(svc, items=items)):
            if isinstance(r, tuple):
                out.append(GradeBatchItem(index=n, grade=grade_body(r[1], svc.rubrics.get(r[0]))))
            else:
                out.append(GradeBatchItem(index=n, error=ErrorBody(code=r.code, message=r.message)))
        return Outcome(200, GradeBatchRead(items=out).model_dump(mode="json"))

    return _reply(await idempotent(svc, principal=principal, endpoint="grade.batch",
                                   key=idempotency_key, request=body.model_dump(mode="json"), run=run))
