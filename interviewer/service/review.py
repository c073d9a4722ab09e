"""Recruiter review: list and read interviews of one's org, override grades, read the audit log."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from interviewer.core.models import Grade, Question, Verdict
from interviewer.core.overrides import OverrideError, graded_turn, override_state
from interviewer.core.state import InterviewState
from interviewer.errors import BadRequest, NotFound
from interviewer.schemas.views import InterviewItem, InterviewPage, InterviewRead
from interviewer.service import transcript as tr
from interviewer.service.auth import Principal
from interviewer.service.codec import state_from_dict
from interviewer.service.container import Services
from interviewer.service.messages import grade_body
from interviewer.service.ports import IndexedStore
from interviewer.service.questions import question_for
from interviewer.service.records import AuditEntry, ListingQuery, OwedEvent, SessionMeta, StoredSession
from interviewer.service.registry import SessionRegistry

SCAN_CHUNK = 200


@dataclass(frozen=True, slots=True)
class Filters:
    company: str | None = None
    topic: str | None = None
    difficulty: str | None = None
    min_score: int | None = None
    max_score: int | None = None
    status: str | None = None
    flagged: bool | None = None
    needs_review: bool | None = None
    created_from: float | None = None
    created_to: float | None = None
    candidate_ref: str | None = None

    def keep(self, row: InterviewItem, state: InterviewState) -> bool:
        turns = state.turns
        checks = [
            self.company is None or self.company == state.config.company
            or any(self.company in t.companies for t in turns),
            self.topic is None or self.topic in state.config.topics
            or any(t.topic == self.topic for t in turns),
            self.difficulty is None or self.difficulty == state.config.difficulty
            or any(t.difficulty == self.difficulty for t in turns),
            self.min_score is None or (row.score is not None and row.score >= self.min_score),
            self.max_score is None or (row.score is not None and row.score <= self.max_score),
            self.status is None or row.status == self.status,
            self.flagged is None or row.flagged == self.flagged,
            self.needs_review is None or row.needs_review == self.needs_review,
            self.created_from is None or row.created_at >= self.created_from,
            self.created_to is None or row.created_at < self.created_to,
            self.candidate_ref is None or row.candidate_ref == self.candidate_ref,
        ]
        return all(checks)


def encode_cursor(created_at: float, session_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([created_at, session_id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        created, sid = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return float(created), str(sid)
    except (ValueError, TypeError, binascii.Error):
        raise BadRequest("the cursor is not valid; pass `next_cursor` from the previous page") from None


async def _scan(svc: Services, org_id: str) -> AsyncIterator[tuple[StoredSession, SessionMeta | None]]:
    """Every session of the org, newest first, with its metadata."""
    offset = 0
    while True:
        chunk = await svc.store.list_sessions(org_id=org_id, limit=SCAN_CHUNK, offset=offset)
        metas = await svc.admin.get_session_metas([s.session_id for s in chunk]) if svc.admin else {}
        for s in chunk:
            yield s, metas.get(s.session_id)
        if len(chunk) < SCAN_CHUNK:
            return
        offset += len(chunk)


def _query(f: Filters) -> ListingQuery:
    return ListingQuery(
        status=f.status, needs_review=f.needs_review, flagged=f.flagged, min_score=f.min_score,
        max_score=f.max_score, created_from=f.created_from, created_to=f.created_to, company=f.company,
        topic=f.topic, difficulty=f.difficulty, candidate_ref=f.candidate_ref)


async def _list_indexed(
    svc: Services, store: IndexedStore, *, org_id: str, filters: Filters, limit: int,
    after: tuple[float, str] | None,
) -> InterviewPage:
    """Keyset pages from the store's listing indexes; each row is still checked by `Filters.keep`
    (exactly the scan's rules), which applies `candidate_ref` where the store could not."""
    query = _query(filters)
    items: list[InterviewItem] = []
    batch = min(max(limit + 1, 50), SCAN_CHUNK)
    while len(items) <= limit:
        chunk = await store.query_page(org_id=org_id, query=query, limit=batch, after=after)
        metas = await svc.admin.get_session_metas([s.session_id for s in chunk]) if svc.admin else {}
        for stored in chunk:
            state = state_from_dict(stored.state)
            row = tr.item(stored, metas.get(stored.session_id), state)
            if filters.keep(row, state):
                items.append(row)
                if len(items) > limit:
                    break
        if len(chunk) < batch:
            break
        after = (chunk[-1].created_at, chunk[-1].session_id)
    more = len(items) > limit
    items = items[:limit]
    nxt = encode_cursor(items[-1].created_at, items[-1].session_id) if more else None
    return InterviewPage(items=items, next_cursor=nxt)


async def list_interviews(
    svc: Services, *, principal: Principal, filters: Filters, limit: int = 50, cursor: str | None = None
) -> InterviewPage:
    """A page of the org's interviews matching the filters, newest first."""
    after = decode_cursor(cursor) if cursor else None
    store = svc.store
    if isinstance(store, IndexedStore) and store.indexer is not None:
        return await _list_indexed(svc, store, org_id=principal.org_id, filters=filters, limit=limit,
                                   after=after)
    passed = after is None
    items: list[InterviewItem] = []
    async for stored, meta in _scan(svc, principal.org_id):
        if not passed:
            assert after is not None
            if stored.created_at > after[0]:
                continue
            if stored.created_at == after[0]:
                passed = stored.session_id == after[1]
                continue
            passed = True
        state = state_from_dict(stored.state)
        row = tr.item(stored, meta, state)
        if filters.keep(row, state):
            items.append(row)
            if len(items) > limit:
                break
    more = len(items) > limit
    items = items[:limit]
    nxt = encode_cursor(items[-1].created_at, items[-1].session_id) if more else None
    return InterviewPage(items=items, next_cursor=nxt)


async def load(
    svc: Services, *, principal: Principal, session_id: str
) -> tuple[StoredSession, SessionMeta | None]:
    """A session of the caller's org; another org's is reported missing, like an unknown one."""
    stored = await svc.store.get(session_id)
    if stored is None or stored.org_id != principal.org_id:
        raise tr.missing(session_id)
    metas = await svc.admin.get_session_metas([session_id]) if svc.admin else {}
    return stored, metas.get(session_id)


async def questions_of(svc: Services, org_id: str, state: InterviewState) -> dict[str, Question]:
    out: dict[str, Question] = {}
    for qid in {t.question_id for t in state.turns}:
        try:
            out[qid] = await question_for(svc, org_id, qid)
        except NotFound:
            continue  # a question removed from the bank since: the transcript still has its text
    return out


async def get_interview(svc: Services, *, principal: Principal, session_id: str) -> InterviewRead:
    stored, meta = await load(svc, principal=principal, session_id=session_id)
    qs = await questions_of(svc, principal.org_id, state_from_dict(stored.state))
    return tr.transcript(stored, meta, qs)


@dataclass(frozen=True, slots=True)
class OverrideResult:
    entry: AuditEntry
    grade: Grade
    interview_score: int | None


def _snapshot(grade: Grade, criterion_id: str | None) -> dict[str, object]:
    snap: dict[str, object] = {"score": grade.score, "revision": grade.revision}
    for r in grade.criteria:
        if criterion_id is None or r.criterion_id == criterion_id:
            snap[f"verdict:{r.criterion_id}"] = r.verdict.value
    return snap


async def override(
    svc: Services, reg: SessionRegistry, *, principal: Principal, session_id: str, question_id: str,
    reason: str, turn: int | None = None, criterion_id: str | None = None,
    verdict: str | None = None, score: int | None = None,
) -> OverrideResult:
    """Change a verdict or a grade: kept in the state (the judge's original too), audited, announced."""
    stored, _ = await load(svc, principal=principal, session_id=session_id)
    v = Verdict(verdict) if verdict is not None else None
    result: list[tuple[InterviewState, Grade, Grade, int]] = []

    def change(state: InterviewState) -> tuple[InterviewState, list[OwedEvent]]:
        """The new state and its `grade.overridden` event (committed together)."""
        try:
            before = graded_turn(state, question_id, turn)
            new_state, t, new = override_state(state, question_id=question_id, turn_index=turn,
                                               criterion_id=criterion_id, verdict=v, score=score)
        except OverrideError as exc:
            raise BadRequest(str(exc)) from None
        assert before.grade is not None
        result.append((new_state, before.grade, new, t.index))
        total = new_state.summary.score if new_state.summary else None
        return new_state, [svc.webhooks.owe(principal.org_id, session_id, "grade.overridden", {
            "session_id": session_id, "question_id": question_id, "turn": t.index,
            "criterion_id": criterion_id, "before": _snapshot(before.grade, criterion_id),
            "after": _snapshot(new, criterion_id), "reason": reason, "actor": principal.key_id,
            "grade": grade_body(new).model_dump(mode="json"), "interview_score": total})]

    runner = reg.local(session_id)
    if runner is not None:
        await runner.change_state(change)
    else:
        # Nobody holds the session here: commit without an owner (see docs/api.md on scale-out).
        from interviewer.service.codec import state_to_dict

        new_state, owed = change(state_from_dict(stored.state))
        await svc.store.commit(session_id, state=state_to_dict(new_state), messages=[],
                               last_seq=stored.last_seq, owed=owed)
        await svc.webhooks.relay(owed)
    new_state, old, new, _ = result[0]
    entry = AuditEntry(
        f"aud_{secrets.token_hex(10)}", session_id, principal.org_id, time.time(), principal.key_id,
        "override.criterion" if criterion_id else "override.grade", question_id, reason,
        _snapshot(old, criterion_id), _snapshot(new, criterion_id), criterion_id)
    await svc.admin.append_audit(entry)
    return OverrideResult(entry, new, new_state.summary.score if new_state.summary else None)


async def audit(svc: Services, *, principal: Principal, session_id: str) -> list[AuditEntry]:
    """The session's audit log; it outlives a deleted session (its last entry says who deleted it)."""
    if await svc.store.get(session_id) is None:
        entries = await svc.admin.list_audit(session_id)
        if not entries or entries[0].org_id != principal.org_id:
            raise NotFound(f"no interview {session_id!r}")
        return entries
    await load(svc, principal=principal, session_id=session_id)
    return await svc.admin.list_audit(session_id)
