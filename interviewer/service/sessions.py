"""Runs one interview: feeds events to the core, carries out its actions, persists, then sends."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from interviewer import metrics
from interviewer.core import interview
from interviewer.core.state import (
    AcceptAnswer,
    Action,
    AnswerDelta,
    AskQuestion,
    EmitGrade,
    Event,
    Finish,
    GradeAnswer,
    InterviewConfig,
    InterviewState,
    Phase,
    PlannedQuestion,
    Reject,
    RunCode,
    SelectFollowUp,
)
from interviewer.errors import Busy, SessionDeleted, Superseded
from interviewer.schemas.protocol import (
    AnswerAcceptedMsg,
    ErrorMsg,
    SessionMsg,
    dump,
)
from interviewer.service import messages
from interviewer.service.claims import ClaimWatch, announce
from interviewer.service.codec import state_from_dict, state_to_dict
from interviewer.service.container import Services
from interviewer.service.messages import token_hash, with_token, without_token
from interviewer.service.records import OwedEvent, StoredSession
from interviewer.service.session_work import SessionWork

log = logging.getLogger("interviewer.session")

INSTANCE_ID = secrets.token_hex(4)
# The longest a typed draft waits in memory before it is written (a crash loses at most this much
# typing; a submitted answer is always written before it is acknowledged).
DRAFT_SAVE_SECONDS = 2.0


class Outbox(Protocol):
    """Where a session's messages go: a live socket, or nowhere while disconnected.

    `send` and `close` raise ConnectionError (or RuntimeError) when the client is gone.
    """

    async def send(self, message: dict[str, Any]) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


async def tell_superseded(out: Outbox, exc: Superseded) -> None:
    """The one `superseded` notice: an error message, then close 4409 (a gone socket is fine)."""
    try:
        await out.send(dump(ErrorMsg(code=exc.code, message=exc.message)))
        await out.close(exc.ws_close_code or 4409, "superseded")
    except (ConnectionError, RuntimeError):
        pass  # the socket is already gone; nothing to tell it


class SessionRunner:
    """Owns one session in this process; all state changes go through `handle` under a lock."""

    def __init__(self, svc: Services, stored: StoredSession) -> None:
        self.svc = svc
        self.session_id = stored.session_id
        self.org_id = stored.org_id
        self.state: InterviewState = state_from_dict(stored.state)
        self.seq = stored.last_seq
        self._outbox: Outbox | None = None
        self._lock = asyncio.Lock()
        self._initial_actions: list[Action] = []
        # Drafts (`answer.delta`) are written at most every DRAFT_SAVE_SECONDS, not per frame.
        self._draft_saved_at = 0.0
        self._draft_flush: asyncio.Task[None] | None = None
        # Who holds the session in the store: this runner on this instance. A newer holder
        # (another instance) makes our commits fail with Superseded.
        self.owner = f"{INSTANCE_ID}:{secrets.token_hex(6)}"
        self.superseded = False
        self._durable: InterviewState = self.state  # the last state the store accepted
        # While a socket is attached: hear at once when another socket claims the session.
        self._watch = ClaimWatch(svc.events, self.session_id, self.owner, self._claimed_elsewhere,
                                 self.deleted)
        self.work = SessionWork(self)  # grading, follow-up selection and the summary

    @property
    def outbox(self) -> Outbox | None:
        return self._outbox

    @outbox.setter
    def outbox(self, out: Outbox | None) -> None:
        """Attach or drop the socket; keeps the live-sessions gauge and the claim watch in step."""
        if self._outbox is None and out is not None:
            metrics.SESSIONS_ACTIVE.inc()
        elif self._outbox is not None and out is None:
            metrics.SESSIONS_ACTIVE.dec()
            self._watch.stop()
        self._outbox = out

    # ---- lifecycle ----

    @classmethod
    async def create(
        cls, svc: Services, config: InterviewConfig, plan: tuple[PlannedQuestion, ...], org_id: str
    ) -> tuple[SessionRunner, str]:
        """A new stored session; returns the runner and the resume token (shown once)."""
        session_id = secrets.token_hex(12)
        token = secrets.token_urlsafe(24)
        now = time.time()
        state, actions = interview.start(session_id, config, plan, now)
        stored = StoredSession(session_id, state_to_dict(state), 0, token_hash(token), org_id, now, now)
        await svc.store.create(stored)
        runner = cls(svc, stored)
        await svc.store.claim(session_id, runner.owner)
        runner._initial_actions = actions
        return runner, token

    async def begin(self, outbox: Outbox | None, token: str) -> None:
        """Send `session` and run the first actions (ask the first question).

        Without an outbox (a partner creating the interview) both are only committed, for the
        candidate's socket to replay.
        """
        self.outbox = outbox
        if outbox is not None:
            await self._watch.start()
        async with self._lock:
            msg = SessionMsg(
                seq=self.next_seq(), session_id=self.session_id, resume_token=token,
                candidate_token=token, total=len(self.state.plan), limits=self.limits(),
            )
            await self._commit([without_token(dump(msg))])  # the store keeps only the token's hash
            await self._send(dump(msg))
            await self._apply(self._initial_actions)

    def limits(self) -> dict[str, float]:
        s = self.svc.settings
        return {
            "max_message_bytes": s.max_message_bytes, "max_answer_chars": s.max_answer_chars,
            "rate_per_second": s.ws_rate_per_second, "rate_burst": s.ws_rate_burst,
        }

    async def resume(self, outbox: Outbox, last_seq: int, *, token: str) -> None:
        """Replay what the client missed, then continue where the session stood.

        `token` is the one the client proved; the replayed `session` message carries it again.
        """
        async with self._lock:
            await self._watch.start()  # before the claim: a newer claim after it is never missed
            await self.svc.store.claim(self.session_id, self.owner)
            await announce(self.svc.events, self.session_id, self.owner)
            # Another instance may have moved the session on since we loaded it: reload.
            stored = await self.svc.store.get(self.session_id)
            if stored is not None:
                self.state = self._durable = state_from_dict(stored.state)
                self.seq = max(self.seq, stored.last_seq)
            self.superseded = False
            self.outbox = outbox
            self.seq = max(self.seq, last_seq)
            for m in await self.svc.store.messages_after(self.session_id, last_seq):
                await self._send(with_token(m, token))
            if not self.work.tasks:
                await self._restart_pending()

    async def adopt(self) -> None:
        """Redo the work a dead instance left unfinished (the store has just made us the holder)."""
        async with self._lock:
            stored = await self.svc.store.get(self.session_id)
            if stored is not None:
                self.state = self._durable = state_from_dict(stored.state)
                self.seq = max(self.seq, stored.last_seq)
            if not self.work.tasks:
                await self._restart_pending()

    async def detach(self, outbox: Outbox) -> None:
        """The socket went away: keep the draft, keep grading in the background."""
        async with self._lock:
            if self.outbox is outbox:
                self.outbox = None
                # A finished session has no draft to keep; never overwrite a reviewer's change.
                if not self.superseded and self.state.phase is not Phase.FINISHED:
                    try:
                        await self._commit([])
                    except Superseded:
                        log.info("session.superseded", extra={"session_id": self.session_id})

    @property
    def idle(self) -> bool:
        return self.outbox is None and not self.work.tasks

    async def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait for background work (and what it starts); False if `timeout` ran out first."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self.work.tasks:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return False
            await asyncio.wait(list(self.work.tasks), timeout=left)  # never cancels the work
        return True

    # ---- events ----

    async def handle(self, event: Event) -> None:
        async with self._lock:
            before = self.state
            self.state, actions = interview.step(self.state, event)
            if isinstance(event, AnswerDelta) and not actions:
                await self._draft_changed()  # a draft is written at most every DRAFT_SAVE_SECONDS
                return
            try:
                await self._apply(actions, changed=self.state is not before)
            except BaseException:
                # In memory is never ahead of the store, but for the draft typed since its last
                # write (kept: it goes out with the next write).
                turn = before.current
                self.state = interview.with_draft(self._durable, turn.draft if turn else "")
                raise

    async def _draft_changed(self) -> None:
        """Write the draft now if the last write is old enough, else once the interval is up."""
        wait = self._draft_saved_at + DRAFT_SAVE_SECONDS - time.monotonic()
        if wait <= 0:
            await self._save_draft()
        elif self._draft_flush is None or self._draft_flush.done():
            self._draft_flush = asyncio.create_task(self._save_draft_later(wait))

    async def _save_draft_later(self, wait: float) -> None:
        await asyncio.sleep(wait)
        async with self._lock:
            if self.state is not self._durable and not self.superseded:
                await self._save_draft()

    async def _save_draft(self) -> None:
        try:
            await self._commit([])
        except Busy:  # the store is briefly unavailable: the draft goes out with the next write
            log.warning("session.draft_not_saved", extra={"session_id": self.session_id})
        except Superseded:
            log.info("session.superseded", extra={"session_id": self.session_id})

    async def change_state(
        self, fn: Callable[[InterviewState], tuple[InterviewState, list[OwedEvent]]]
    ) -> None:
        """Apply an outside change (a reviewer's override) to the live state, commit it with the
        webhook events it owes, then relay them."""
        async with self._lock:
            self.state, owed = fn(self.state)
            await self._commit([], owed=owed)
        await self.svc.webhooks.relay(owed)

    async def ephemeral(self, msg: dict[str, Any]) -> None:
        """Send a message that is not replayed (pong, error, feedback.delta) with a fresh seq."""
        msg["seq"] = self.next_seq()
        await self._send(msg)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    async def _send(self, msg: dict[str, Any]) -> None:
        if self.outbox is not None:
            try:
                await self.outbox.send(msg)
            except (ConnectionError, RuntimeError) as exc:
                log.info("ws.send_failed", extra={"session_id": self.session_id, "error": str(exc)})
                self.outbox = None

    async def _commit(self, durable: list[dict[str, Any]], owed: Sequence[OwedEvent] = ()) -> None:
        state = self.state
        self._draft_saved_at = time.monotonic()
        try:
            await self.svc.store.commit(
                self.session_id, state=state_to_dict(state), messages=durable,
                last_seq=self.seq, owner=self.owner, owed=owed,
            )
        except Superseded:
            self.superseded = True
            raise
        self._durable = state

    async def _apply(self, actions: list[Action], *, changed: bool = True) -> None:
        """Persist the new state with the durable messages, then send; start background work."""
        durable: list[dict[str, Any]] = []
        ephemeral: list[dict[str, Any]] = []
        later: list[GradeAnswer | SelectFollowUp | RunCode] = []
        events: list[OwedEvent] = []  # committed with the state, then moved to the webhook outbox
        for a in actions:
            match a:
                case AskQuestion():
                    durable.append(dump(messages.question_msg(
                        self.next_seq(), a.turn, a.total, self.work.code_problem(a.turn))))
                case AcceptAnswer():
                    durable.append(dump(AnswerAcceptedMsg(
                        seq=self.next_seq(), question_id=a.question_id, turn=a.turn_index, chars=a.chars)))
                case EmitGrade():
                    turn = self.state.turns[a.turn_index]
                    rubric = (await self.work.question(turn.question_id)).rubric
                    msg = dump(messages.grade_msg(self.next_seq(), turn, a.grade, rubric))
                    durable.append(msg)
                    events.append(self.svc.webhooks.owe(self.org_id, self.session_id, "grade.created",
                                                        {"session_id": self.session_id, "grade": msg}))
                case Finish():
                    summary = await self.work.summary(a.summary)
                    durable.append(summary)
                    events.append(self.svc.webhooks.owe(self.org_id, self.session_id, "interview.completed", {
                        "session_id": self.session_id, "finished_at": self.state.finished_at,
                        "summary": summary}))
                case Reject():
                    ephemeral.append(dump(ErrorMsg(seq=self.next_seq(), code=a.code, message=a.message)))
                case GradeAnswer() | SelectFollowUp() | RunCode():
                    later.append(a)
        if durable or changed or events:
            await self._commit(durable, owed=events)
        # Committed, the webhook events with the state: what follows happens whether or not the
        # client hears it. They reach the outbox now; if this process dies first, another relays them.
        try:
            await self.svc.webhooks.relay(events)
            for m in durable + ephemeral:
                await self._send(m)
        finally:
            for a in later:
                self.work.spawn(a)

    async def _restart_pending(self) -> None:
        """After a crash or on a new owner: redo grading or selection that never completed."""
        turn = self.state.current
        if turn is None:
            return
        if self.state.phase is Phase.GRADING and turn.answer is not None:
            self.work.spawn(GradeAnswer(turn.index, turn.question_id, turn.answer, turn.criterion_id,
                                        code=turn.code))
        elif self.state.phase is Phase.SELECTING:
            self.state, actions = interview.retry_selection(self.state, time.time())
            await self._apply(actions)

    # ---- ownership ----

    async def superseded_by(self, exc: Superseded) -> None:
        """This runner lost the session to a newer holder: tell its socket and close it."""
        log.info("session.superseded", extra={"session_id": self.session_id})
        self.superseded = True
        out, self.outbox = self.outbox, None
        if out is not None:
            await tell_superseded(out, exc)

    async def deleted(self) -> None:
        """The session was deleted (cancelled): stop its work, tell its socket, close it (4410)."""
        self.superseded = True  # never written again: a detach or a late grade must not commit
        for task in list(self.work.tasks):
            if task is not asyncio.current_task():
                task.cancel()
        out, self.outbox = self.outbox, None
        log.info("session.deleted", extra={"session_id": self.session_id})
        if out is not None:
            gone = SessionDeleted("this interview was cancelled and deleted by its organisation")
            try:
                await out.send(dump(ErrorMsg(code=gone.code, message=gone.message)))
                await out.close(gone.ws_close_code or 4410, "deleted")
            except (ConnectionError, RuntimeError):
                pass  # the socket is already gone

    async def _claimed_elsewhere(self, owner: str) -> None:
        """Another socket claimed the session: the store decides whether we still hold it."""
        async with self._lock:
            if self.superseded or self.outbox is None:
                return
            lost = Superseded("this session was opened in another connection")
            try:
                # Succeeds only while we still hold it (a stale notice). A finished session is
                # never written again (a reviewer may have changed it): the notice is trusted.
                if self.state.phase is not Phase.FINISHED:
                    await self._commit([])
                    return
            except Superseded as exc:
                lost = exc
            except Busy:  # the store is unavailable: our next commit will find out
                log.warning("session.claim_check_failed", extra={"session_id": self.session_id})
                return
        log.info("session.claimed_elsewhere", extra={"session_id": self.session_id, "owner": owner})
        await self.superseded_by(lost)
