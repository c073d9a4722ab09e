"""The sessions this process currently owns, and which socket each one talks to."""

from __future__ import annotations

import asyncio
import hmac
import logging

from interviewer.errors import SessionNotFound, Superseded, Unauthorized
from interviewer.service.container import Services
from interviewer.service.messages import token_hash
from interviewer.service.ports import OrphanedWork
from interviewer.service.sessions import Outbox, SessionRunner, tell_superseded

log = logging.getLogger("interviewer.registry")



class SessionRegistry:
    """One runner per session in this process; a newer socket on a session supersedes the older."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self._runners: dict[str, SessionRunner] = {}
        self._lock = asyncio.Lock()

    def add(self, runner: SessionRunner) -> None:
        self._runners[runner.session_id] = runner

    def __len__(self) -> int:
        return len(self._runners)

    def local(self, session_id: str) -> SessionRunner | None:
        """The live runner of a session in this process, if any."""
        runner = self._runners.get(session_id)
        return None if runner is None or runner.superseded else runner

    async def attach(self, session_id: str, resume_token: str) -> SessionRunner:
        """The runner for a stored session, after checking its resume token."""
        async with self._lock:
            runner = self._runners.get(session_id)
            if runner is None or runner.superseded:
                stored = await self.svc.store.get(session_id)
                if stored is None:
                    raise SessionNotFound(f"no session {session_id!r}")
                runner = SessionRunner(self.svc, stored)
                self._runners[session_id] = runner
            expected = (await self._token_hash(runner))
            if not hmac.compare_digest(expected, token_hash(resume_token)):
                raise Unauthorized("the resume token does not match this session")
            return runner

    async def adopt(
        self, session_id: str, expected_owner: str | None, finder: OrphanedWork
    ) -> SessionRunner | None:
        """Take an orphaned session over and restart its work; None if it is live here or was
        adopted by someone else first (the store's compare-and-set decides)."""
        async with self._lock:
            if self.local(session_id) is not None:
                return None
            stored = await self.svc.store.get(session_id)
            if stored is None:
                return None
            runner = SessionRunner(self.svc, stored)
            if not await finder.adopt(session_id, expected_owner=expected_owner, owner=runner.owner):
                return None
            self._runners[session_id] = runner
        await runner.adopt()
        return runner

    async def _token_hash(self, runner: SessionRunner) -> str:
        stored = await self.svc.store.get(runner.session_id)
        if stored is None:
            raise SessionNotFound(f"no session {runner.session_id!r}")
        return stored.resume_token_hash

    async def supersede(self, runner: SessionRunner, new: Outbox) -> None:
        """Tell the socket that held the session that a newer one took it, and close it."""
        old = runner.outbox
        if old is None or old is new:
            return
        log.info("ws.superseded", extra={"session_id": runner.session_id})
        await tell_superseded(old, Superseded("this session was opened in another connection"))
        await runner.detach(old)

    async def release(self, runner: SessionRunner) -> None:
        """Forget a runner that has no socket and no background work (its state is stored)."""
        async with self._lock:
            # A superseded runner is dropped at once: its leftover work can only fail to commit.
            gone = runner.idle or (runner.superseded and runner.outbox is None)
            if gone and self._runners.get(runner.session_id) is runner:
                del self._runners[runner.session_id]

    async def drain(self, timeout: float | None = None) -> bool:
        """Finish in-flight grading (graceful shutdown); False when `timeout` ran out first.

        What is cut short stays stored as accepted and is graded by whoever resumes the session.
        """
        done = await asyncio.gather(*(r.wait_idle(timeout) for r in list(self._runners.values())))
        if not all(done):
            log.warning("shutdown.drain_timeout", extra={"sessions": done.count(False)})
        return all(done)
