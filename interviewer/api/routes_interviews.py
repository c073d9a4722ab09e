"""Interviews for partners and recruiters: create for a candidate, list, read, export."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from interviewer.api.deps import (
    IdempotencyKey,
    InterviewCreator,
    InterviewDeleter,
    InterviewReader,
    RegistryDep,
    ServicesDep,
)
from interviewer.schemas.interviews import InterviewCreate, InterviewCreated
from interviewer.schemas.rest import DateTime, errors
from interviewer.schemas.views import InterviewPage, InterviewRead
from interviewer.service import exports
from interviewer.service.idempotency import Outcome, idempotent
from interviewer.service.interviews import QuestionSpec, create_interview
from interviewer.service.retention import delete_interview
from interviewer.service.review import Filters, get_interview, list_interviews

router = APIRouter(prefix="/v1/interviews", tags=["interviews"])

EXPORT_TYPES = {
    "json": "application/json", "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8", "pdf": "application/pdf",
}

# The HTML report is one self-contained page with an inline stylesheet: no script, no fetch, no form.
EXPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
              "form-action 'none'; frame-ancestors 'none'; sandbox")


@router.post("", response_model=InterviewCreated, status_code=201, responses=errors(400, 404, 409))
async def create(
    body: InterviewCreate, request: Request, svc: ServicesDep, reg: RegistryDep,
    principal: InterviewCreator, idempotency_key: IdempotencyKey = None,
) -> Response:
    """Create an interview for one candidate; send them `candidate_url` (or `ws_url` for your own client)."""

    async def run() -> Outcome:
        made = await create_interview(
            svc, reg, principal=principal, base_url=str(request.base_url),
            question_ids=body.question_ids,
            questions=[QuestionSpec(q.text, q.sample_answer, q.id, q.topic, q.difficulty)
                       for q in body.questions or []],
            company=body.company, difficulty=body.difficulty, topics=body.topics,
            num_questions=body.num_questions, max_followups=body.max_followups,
            candidate_ref=body.candidate_ref, include_code=body.include_code,
        )
        out = InterviewCreated(session_id=made.session_id, candidate_token=made.candidate_token,
                               ws_url=made.ws_url, candidate_url=made.candidate_url, total=made.total)
        return Outcome(201, out.model_dump(mode="json"))

    out = await idempotent(svc, principal=principal, endpoint="interviews.create", key=idempotency_key,
                           request=body.model_dump(mode="json"), run=run)
    headers = {"Idempotent-Replayed": "true"} if out.replayed else None
    return JSONResponse(out.body, status_code=out.status_code, headers=headers)


@router.get("", response_model=InterviewPage, responses=errors(400))
async def list_(
    svc: ServicesDep,
    principal: InterviewReader,
    company: Annotated[str | None, Query(max_length=64)] = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    difficulty: Literal["easy", "medium", "hard"] | None = None,
    min_score: Annotated[int | None, Query(ge=0, le=100)] = None,
    max_score: Annotated[int | None, Query(ge=0, le=100)] = None,
    status: Literal["pending", "in_progress", "completed"] | None = None,
    flagged: bool | None = None,
    needs_review: Annotated[bool | None, Query(
        description="only interviews with (true) or without (false) a provisional grade")] = None,
    created_from: DateTime | None = None,
    created_to: DateTime | None = None,
    candidate_ref: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> InterviewPage:
    """The organisation's interviews, newest first, filtered; follow `next_cursor` for more."""
    filters = Filters(
        company=company, topic=topic, difficulty=difficulty, min_score=min_score, max_score=max_score,
        status=status, flagged=flagged, needs_review=needs_review, candidate_ref=candidate_ref,
        created_from=created_from.timestamp() if created_from else None,
        created_to=created_to.timestamp() if created_to else None,
    )
    return await list_interviews(svc, principal=principal, filters=filters, limit=limit, cursor=cursor)


@router.get("/{session_id}", response_model=InterviewRead, response_model_by_alias=True,
            responses=errors(404))
async def read(session_id: str, svc: ServicesDep, principal: InterviewReader) -> InterviewRead:
    """The full transcript: questions, answers with timing, verdicts with evidence, provenance."""
    return await get_interview(svc, principal=principal, session_id=session_id)


@router.delete("/{session_id}", status_code=204, response_class=Response, responses=errors(404))
async def delete(
    session_id: str, svc: ServicesDep, reg: RegistryDep, principal: InterviewDeleter,
) -> Response:
    """Cancel and delete an interview: its state, answers, grades and messages. A candidate still
    connected gets `session_deleted` and the socket closes (4410); an audit entry is kept."""
    await delete_interview(svc, reg, principal=principal, session_id=session_id)
    return Response(status_code=204)


@router.get(
    "/{session_id}/export",
    responses={**errors(404), 200: {"description": "the export", "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/InterviewRead"}},
        "text/csv": {"schema": {"type": "string"}}, "text/html": {"schema": {"type": "string"}},
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}},
    response_class=Response,
)
async def export(
    session_id: str, svc: ServicesDep, principal: InterviewReader,
    format: Literal["json", "csv", "html", "pdf"] = "json",
) -> Response:
    """JSON (versioned schema), CSV (one row per criterion verdict), a printable HTML or PDF report."""
    t = await get_interview(svc, principal=principal, session_id=session_id)
    body: str | bytes = {
        "json": exports.to_json, "csv": exports.to_csv, "html": exports.to_html,
    }[format](t) if format != "pdf" else exports.to_pdf(t)
    name = f"interview-{session_id}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff"}
    if format == "html":  # candidate text inside: even opened in the browser it runs nothing
        headers["Content-Security-Policy"] = EXPORT_CSP
    return Response(body, media_type=EXPORT_TYPES[format], headers=headers)
