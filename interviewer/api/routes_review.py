"""Recruiter review: human overrides of grades and the audit log."""

from __future__ import annotations

from fastapi import APIRouter

from interviewer.api.deps import InterviewReader, Overrider, RegistryDep, ServicesDep
from interviewer.schemas.interviews import OverrideCreate, OverrideRead
from interviewer.schemas.rest import errors
from interviewer.schemas.views import AuditList, AuditRead
from interviewer.service import review
from interviewer.service.messages import grade_body
from interviewer.service.records import AuditEntry

router = APIRouter(prefix="/v1/interviews", tags=["review"])


def audit_read(e: AuditEntry) -> AuditRead:
    return AuditRead(entry_id=e.entry_id, at=e.at, actor=e.actor, action=e.action,
                     question_id=e.question_id, criterion_id=e.criterion_id, reason=e.reason,
                     before=e.before, after=e.after)


@router.post("/{session_id}/overrides", response_model=OverrideRead, status_code=201,
             responses=errors(400, 404))
async def create_override(
    session_id: str, body: OverrideCreate, svc: ServicesDep, reg: RegistryDep, principal: Overrider
) -> OverrideRead:
    """Override a criterion verdict or a whole grade; the judge's original and an audit entry are kept."""
    out = await review.override(
        svc, reg, principal=principal, session_id=session_id, question_id=body.question_id,
        reason=body.reason, turn=body.turn, criterion_id=body.criterion_id, verdict=body.verdict,
        score=body.score,
    )
    return OverrideRead(audit=audit_read(out.entry), grade=grade_body(out.grade),
                        interview_score=out.interview_score)


@router.get("/{session_id}/audit", response_model=AuditList, responses=errors(404))
async def audit(session_id: str, svc: ServicesDep, principal: InterviewReader) -> AuditList:
    """Every human change to the interview's grades, oldest first: who, when, before, after, why."""
    entries = await review.audit(svc, principal=principal, session_id=session_id)
    return AuditList(session_id=session_id, items=[audit_read(e) for e in entries])
