"""Cancelling and deleting interviews: one at a recruiter's request, or every old one (retention)."""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from dataclasses import dataclass

from interviewer.errors import NotFound
from interviewer.service.auth import Principal
from interviewer.service.claims import announce_deleted
from interviewer.service.container import Services
from interviewer.service.ports import AdminStore, SessionEvents, SessionStore
from interviewer.service.records import AuditEntry, StoredSession
from interviewer.service.registry import SessionRegistry

log = logging.getLogger("interviewer.retention")

DELETED_ACTION = "interview.deleted"
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Stores:
    """What deleting needs: the CLI builds these without the model and the bank."""

    store: SessionStore
    admin: AdminStore
    events: SessionEvents


async def _delete(
    st: Stores, reg: SessionRegistry | None, stored: StoredSession, *, actor: str, reason: str,
) -> None:
    """Remove the session (state, grades, messages) and its metadata, audit it, end its sockets."""
    if not await st.store.delete(stored.session_id):
        raise NotFound(f"no interview {stored.session_id!r}")
    if st.admin is not None:
        await st.admin.delete_session_meta(stored.session_id)
        await st.admin.append_audit(AuditEntry(
            f"au_{secrets.token_hex(8)}", stored.session_id, stored.org_id, time.time(), actor,
            DELETED_ACTION, "", reason,
            before={"phase": stored.state.get("phase"), "created_at": stored.created_at}, after={}))
    runner = reg.local(stored.session_id) if reg is not None else None
    if runner is not None:
        await runner.deleted()
    await announce_deleted(st.events, stored.session_id)  # the holder on another instance
    log.info("interview.deleted", extra={"session_id": stored.session_id, "actor": actor})


async def delete_interview(
    svc: Services, reg: SessionRegistry, *, principal: Principal, session_id: str,
) -> None:
    """Cancel and delete one interview of the caller's org (another org's is `404` like a missing one)."""
    stored = await svc.store.get(session_id)
    if stored is None:
        raise NotFound(f"no interview {session_id!r}")
    principal.require_org(stored.org_id, f"interview {session_id!r}")
    await _delete(Stores(svc.store, svc.admin, svc.events), reg, stored, actor=principal.key_id,
                  reason="deleted through the API")


@dataclass(frozen=True, slots=True)
class Purged:
    session_id: str
    org_id: str
    created_at: float
    updated_at: float
    phase: str


async def purge(
    st: Stores, *, older_than_days: float, dry_run: bool = True, now: float | None = None,
    limit: int = 10_000,
) -> list[Purged]:
    """Interviews created and last changed more than `older_than_days` ago, oldest first, at most
    `limit` of them; deleted unless `dry_run`. Returns what was (or would be) deleted."""
    cutoff = (time.time() if now is None else now) - older_than_days * DAY
    old = [s for s in await st.store.created_before(cutoff, limit=limit) if s.updated_at < cutoff]
    out = [Purged(s.session_id, s.org_id, s.created_at, s.updated_at, str(s.state.get("phase", "")))
           for s in old]
    if not dry_run:
        for s in old:
            with contextlib.suppress(NotFound):  # deleted meanwhile by someone else
                await _delete(st, None, s, actor="retention", reason=f"older than {older_than_days:g} days")
    return out
