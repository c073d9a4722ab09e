"""Takeover notices: a runner hears at once when another socket, on any instance, claims its session.

The store stays the authority (a stale holder's commit fails with `Superseded`); a `claimed` notice
only makes the old holder find out now instead of at its next commit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from interviewer.service.ports import SessionEvents, Subscription

log = logging.getLogger("interviewer.claims")

CLAIMED = "claimed"
DELETED = "deleted"


async def announce(events: SessionEvents, session_id: str, owner: str) -> None:
    """Tell every runner of the session that `owner` holds it now (best effort)."""
    try:
        await events.publish(session_id, {"type": CLAIMED, "owner": owner, "at": time.time()})
    except Exception:  # the commit-time check still catches the old holder
        log.warning("session.announce_failed", extra={"session_id": session_id}, exc_info=True)


async def announce_deleted(events: SessionEvents, session_id: str) -> None:
    """Tell every runner of the session, on any instance, that it was deleted (best effort)."""
    try:
        await events.publish(session_id, {"type": DELETED, "at": time.time()})
    except Exception:  # a holder that misses it fails at its next commit (session_not_found)
        log.warning("session.announce_failed", extra={"session_id": session_id}, exc_info=True)


# Revocations go to every instance on one events channel that no session id can name (ids are hex).
REVOCATIONS = "_keys"
KEY_REVOKED = "key.revoked"


async def announce_revoked(events: SessionEvents, key_id: str) -> None:
    """Tell every instance that `key_id` was revoked, so that they close its sockets (best effort)."""
    try:
        await events.publish(REVOCATIONS, {"type": KEY_REVOKED, "key_id": key_id, "at": time.time()})
    except Exception:  # each socket still re-checks its key within KEY_RECHECK seconds
        log.warning("key.announce_failed", extra={"key_id": key_id}, exc_info=True)


class ClaimWatch:
    """Listens on one session while a socket is attached; `on_foreign(owner)` for others' claims."""

    def __init__(
        self, events: SessionEvents, session_id: str, owner: str,
        on_foreign: Callable[[str], Awaitable[None]],
        on_deleted: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.events, self.session_id, self.owner = events, session_id, owner
        self.on_foreign = on_foreign
        self.on_deleted = on_deleted
        self._task: asyncio.Task[None] | None = None

    @property
    def active(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Subscribe (confirmed on return, so no later claim is missed), then listen in a task."""
        if self.active:
            return
        sub = self.events.subscribe(self.session_id)
        try:
            await sub.__aenter__()
        except Exception:  # without notices the old holder still fails at its next commit
            log.warning("session.watch_failed", extra={"session_id": self.session_id}, exc_info=True)
            return
        self._task = asyncio.create_task(self._run(sub))

    def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _run(self, sub: Subscription) -> None:
        me = asyncio.current_task()
        try:
            async for msg in sub:
                if self._foreign(msg):
                    await self.on_foreign(str(msg["owner"]))
                elif msg.get("type") == DELETED and self.on_deleted is not None:
                    await self.on_deleted()
                if self._task is not me:  # stopped (possibly by on_foreign itself)
                    return
        except Exception:
            log.warning("session.watch_ended", extra={"session_id": self.session_id}, exc_info=True)
        finally:
            await sub.aclose()

    def _foreign(self, msg: dict[str, Any]) -> bool:
        return msg.get("type") == CLAIMED and msg.get("owner") not in (None, self.owner)
