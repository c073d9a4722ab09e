"""The candidate's own side: an anonymous profile, their past interviews, progress and recurring gaps.

A candidate is known by a *candidate ref* inside one organisation, the same `candidate_ref` a partner
gives when it creates an interview. A browser on a server without auth gets an anonymous profile: a
random secret (`cp_...`) it keeps; sessions it starts are stored under the ref `profile:<hash>` (the
secret itself is never stored). Revoking the profile unlinks its interviews, so the secret opens
nothing any more. A candidate opened from a partner's link proves the session's candidate token
and sees the interviews the partner made under that session's `candidate_ref`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace

from pydantic import BaseModel, Field

from interviewer.core.state import InterviewState
from interviewer.errors import BadRequest, Forbidden, NotFound, Unauthorized
from interviewer.schemas.protocol import ConceptOut
from interviewer.schemas.views import InterviewRead, Status
from interviewer.service import transcript as tr
from interviewer.service.codec import state_from_dict
from interviewer.service.container import Services
from interviewer.service.messages import concept_out, token_hash
from interviewer.service.records import StoredSession
from interviewer.service.review import _scan, questions_of

PROFILE_PREFIX = "cp_"
PROFILE_RE = re.compile(r"^cp_[A-Za-z0-9_-]{32,64}$")
REF_PREFIX = "profile:"
HISTORY_LIMIT = 200  # interviews in a history, newest first
RECURRING_MIN = 2  # a gap "keeps coming back" when it is a gap in this many interviews


@dataclass(frozen=True, slots=True)
class Candidate:
    """Whose history: one candidate ref in one org (`session_id` when proved by a candidate token)."""

    org_id: str
    ref: str | None
    kind: str  # "profile" or "link"
    session_id: str | None = None

    def owns(self, candidate_ref: str | None, session_id: str) -> bool:
        if self.ref is not None and candidate_ref == self.ref:
            return True
        return self.session_id == session_id


def new_profile() -> str:
    """A fresh anonymous profile id (256 random bits); the server keeps only its hash."""
    return PROFILE_PREFIX + secrets.token_urlsafe(32)


def check_profile(profile_id: str) -> str:
    if not PROFILE_RE.match(profile_id):
        raise BadRequest("a candidate profile id is `cp_` and 32-64 URL-safe characters, as "
                         "POST /v1/candidate/profile returns it")
    return profile_id


def profile_ref(profile_id: str) -> str:
    """The candidate ref stored with the sessions of an anonymous profile."""
    return REF_PREFIX + hashlib.sha256(check_profile(profile_id).encode()).hexdigest()[:40]


def require_profiles(svc: Services) -> None:
    if svc.settings.auth != "off":
        raise Forbidden("anonymous candidate profiles exist only on servers without auth "
                        "(INTERVIEWER_AUTH=off); open the interview link you were sent")


def from_profile(svc: Services, profile_id: str) -> Candidate:
    require_profiles(svc)
    return Candidate(svc.settings.default_org, profile_ref(profile_id), "profile")


async def from_link(svc: Services, session_id: str, token: str) -> Candidate:
    """The candidate of a session whose candidate (resume) token they hold."""
    stored = await svc.store.get(session_id)
    if stored is None or not hmac.compare_digest(stored.resume_token_hash, token_hash(token)):
        raise Unauthorized("the session id and candidate token do not match an interview")
    metas = await svc.admin.get_session_metas([session_id]) if svc.admin else {}
    meta = metas.get(session_id)
    ref = meta.candidate_ref if meta else None
    return Candidate(stored.org_id, ref, "link" if ref and not ref.startswith(REF_PREFIX) else "profile",
                     session_id)


class HistoryItem(BaseModel):
    """One past interview, with what the progress chart and the recurring gaps need."""

    session_id: str
    status: Status
    score: int | None = None
    created_at: float
    finished_at: float | None = None
    company: str | None = None
    difficulty: str | None = None
    topics: list[str] = Field(default_factory=list)
    questions: int
    per_topic: dict[str, int] = Field(default_factory=dict, description="score per topic, once completed")
    gaps: list[ConceptOut] = Field(default_factory=list)


class RecurringGap(BaseModel):
    concept: str
    topic: str = ""
    why: str = ""
    count: int = Field(description="in how many of the listed interviews it was a gap")
    question_ids: list[str] = Field(description="questions that exercise it: where it was missed first, "
                                    "then the practice suggestions")
    last_seen: float


class History(BaseModel):
    kind: str = Field(description="`profile` (anonymous, this browser) or `link` (a partner's candidate_ref)")
    items: list[HistoryItem]
    recurring_gaps: list[RecurringGap]


async def _gaps(svc: Services, stored: StoredSession, state: InterviewState) -> list[ConceptOut]:
    """The gaps as the summary message gave them (with why and practice), else from the state."""
    if state.summary is None:
        return []
    for m in reversed(await svc.store.messages_after(stored.session_id, max(0, stored.last_seq - 5))):
        if m.get("type") == "summary":
            return [ConceptOut.model_validate(g) for g in m.get("gaps", [])]
    return [concept_out(g) for g in state.summary.gaps]


async def _item(svc: Services, stored: StoredSession) -> HistoryItem:
    state = state_from_dict(stored.state)
    c, s = state.config, state.summary
    return HistoryItem(
        session_id=stored.session_id, status=tr.status_of(state), score=s.score if s else None,
        created_at=stored.created_at, finished_at=state.finished_at, company=c.company,
        difficulty=c.difficulty, topics=list(c.topics), questions=len(state.plan),
        per_topic=dict(s.per_topic) if s else {}, gaps=await _gaps(svc, stored, state),
    )


def recurring(items: Iterable[HistoryItem], minimum: int = RECURRING_MIN) -> list[RecurringGap]:
    """Gap concepts found in at least `minimum` interviews (same concept text), most frequent first."""
    seen: dict[str, RecurringGap] = {}
    for it in sorted(items, key=lambda i: i.created_at):
        keys_here: set[str] = set()
        for g in it.gaps:
            key = " ".join(g.concept.lower().split())
            ids = [g.question_id] + [p["question_id"] for p in g.practice if p.get("question_id")]
            r = seen.get(key)
            if r is None:
                seen[key] = RecurringGap(concept=g.concept, topic=g.topic, why=g.why, count=1,
                                         question_ids=ids, last_seen=it.created_at)
                keys_here.add(key)
                continue
            if key not in keys_here:
                r.count += 1
                keys_here.add(key)
            r.last_seen = it.created_at
            r.question_ids += [q for q in ids if q not in r.question_ids]
    out = [r for r in seen.values() if r.count >= minimum]
    return sorted(out, key=lambda r: (-r.count, -r.last_seen))


async def history(svc: Services, who: Candidate, limit: int = HISTORY_LIMIT) -> History:
    """The candidate's interviews in their org, newest first, and their recurring gaps."""
    items: list[HistoryItem] = []
    async for stored, meta in _scan(svc, who.org_id):
        if not who.owns(meta.candidate_ref if meta else None, stored.session_id):
            continue
        items.append(await _item(svc, stored))
        if len(items) >= limit:
            break
    return History(kind=who.kind, items=items, recurring_gaps=recurring(items))


async def interview(svc: Services, who: Candidate, session_id: str) -> tuple[InterviewRead, dict[str, str]]:
    """One of the candidate's interviews, read-only, and the sample answers of its graded questions."""
    stored = await svc.store.get(session_id)
    metas = await svc.admin.get_session_metas([session_id]) if svc.admin and stored else {}
    meta = metas.get(session_id)
    if stored is None or stored.org_id != who.org_id or not who.owns(
            meta.candidate_ref if meta else None, session_id):
        raise NotFound(f"no interview {session_id!r} in your history")
    state = state_from_dict(stored.state)
    qs = await questions_of(svc, who.org_id, state)
    t = tr.transcript(stored, meta, qs)
    graded = {turn.question_id for turn in t.turns if turn.grade is not None}
    samples = {qid: q.sample_answer for qid, q in qs.items()
               if qid in graded and q.sample_answer and _public(svc, qid)}
    return t, samples


def _public(svc: Services, question_id: str) -> bool:
    """A bank question's sample answer is public (the bank ships with the server); an organisation's
    own question's is not shown to candidates, who may be interviewed on it again."""
    try:
        svc.bank.get(question_id)
    except NotFound:
        return False
    return True


async def revoke(svc: Services, who: Candidate) -> int:
    """Unlink every interview of an anonymous profile: its id opens nothing any more."""
    if who.kind != "profile" or who.ref is None or not who.ref.startswith(REF_PREFIX):
        raise Forbidden("only an anonymous profile can be revoked here")
    n = 0
    async for _, meta in _scan(svc, who.org_id):
        if meta is not None and meta.candidate_ref == who.ref:
            await svc.admin.put_session_meta(replace(meta, candidate_ref=None))
            n += 1
    return n
