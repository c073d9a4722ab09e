"""The candidate's own routes: an anonymous profile, their history, one past interview, its report.

A candidate proves who they are with headers, never in the URL (addresses end up in logs):
`X-Candidate-Profile: cp_...` (an anonymous profile, servers without auth), or
`X-Candidate-Session` and `X-Candidate-Token` (a session's candidate token, from a partner's link).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel

from interviewer.api.deps import ServicesDep, client_ip, get_limiter
from interviewer.api.routes_interviews import EXPORT_CSP, EXPORT_TYPES
from interviewer.errors import Unauthorized
from interviewer.schemas.rest import errors
from interviewer.schemas.views import InterviewRead
from interviewer.service import candidates, reports
from interviewer.service.candidates import Candidate, History

router = APIRouter(prefix="/v1/candidate", tags=["candidate"])


class ProfileCreated(BaseModel):
    profile_id: str


class ProfileRevoked(BaseModel):
    unlinked: int


class CandidateInterview(InterviewRead):
    """A past interview as its candidate sees it: the transcript and the revealed sample answers."""

    sample_answers: dict[str, str]


async def get_candidate(
    request: Request, svc: ServicesDep,
    x_candidate_profile: Annotated[str | None, Header(max_length=100)] = None,
    x_candidate_session: Annotated[str | None, Header(max_length=64)] = None,
    x_candidate_token: Annotated[str | None, Header(max_length=512)] = None,
) -> Candidate:
    await get_limiter(request).check("rest", key_id=None, ip=client_ip(request))
    if x_candidate_session and x_candidate_token:
        return await candidates.from_link(svc, x_candidate_session, x_candidate_token)
    if x_candidate_profile:
        return candidates.from_profile(svc, x_candidate_profile)
    raise Unauthorized("send X-Candidate-Profile, or X-Candidate-Session with X-Candidate-Token")


CandidateDep = Annotated[Candidate, Depends(get_candidate)]


@router.post("/profile", response_model=ProfileCreated, status_code=201, responses=errors(400))
async def create_profile(request: Request, svc: ServicesDep) -> ProfileCreated:
    """A new anonymous profile id for this browser (servers without auth); keep it, it is shown once."""
    await get_limiter(request).check("rest", key_id=None, ip=client_ip(request))
    candidates.require_profiles(svc)
    return ProfileCreated(profile_id=candidates.new_profile())


@router.delete("/profile", response_model=ProfileRevoked, responses=errors(400))
async def revoke_profile(svc: ServicesDep, who: CandidateDep) -> ProfileRevoked:
    """Revoke the profile: its interviews are unlinked from it, and the id opens nothing any more."""
    return ProfileRevoked(unlinked=await candidates.revoke(svc, who))


@router.get("/history", response_model=History, responses=errors(400))
async def history(svc: ServicesDep, who: CandidateDep) -> History:
    """The candidate's interviews (newest first, at most 200), scores per topic, recurring gaps."""
    return await candidates.history(svc, who)


@router.get("/interviews/{session_id}", response_model=CandidateInterview, response_model_by_alias=True,
            responses=errors(400, 404))
async def interview(session_id: str, svc: ServicesDep, who: CandidateDep) -> CandidateInterview:
    """One of the candidate's interviews, read-only: every grade with its evidence."""
    t, samples = await candidates.interview(svc, who, session_id)
    return CandidateInterview(**t.model_dump(by_alias=True), sample_answers=samples)


@router.get("/interviews/{session_id}/report", response_class=Response, responses={
    **errors(400, 404), 200: {"description": "the report", "content": {
        "text/html": {"schema": {"type": "string"}},
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
async def report(
    session_id: str, svc: ServicesDep, who: CandidateDep, format: Literal["html", "pdf"] = "html",
) -> Response:
    """The candidate's report: scores, verdicts with evidence, feedback, gaps and why they matter,
    the sample answers of graded questions."""
    t, samples = await candidates.interview(svc, who, session_id)
    body: str | bytes = reports.to_html(t, samples) if format == "html" else reports.to_pdf(t, samples)
    headers = {"Content-Disposition": f'attachment; filename="interview-report-{session_id}.{format}"',
               "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
    if format == "html":
        headers["Content-Security-Policy"] = EXPORT_CSP
    return Response(body, media_type=EXPORT_TYPES[format], headers=headers)
