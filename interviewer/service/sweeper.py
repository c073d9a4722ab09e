"""The sweeper: any live instance takes over grading that a crashed instance left unfinished.

Each instance renews a heartbeat in the store every `interval` seconds. A session waiting on
grading or follow-up selection whose owner's instance has not renewed it for `ttl` seconds (killed,
frozen, cut off from the store) is adopted by whichever instance's compare-and-set wins; that
instance redoes the work and commits it, so the candidate finds the grade and the next question on
resume, and the webhooks go out, without waiting for the candidate to reconnect.
"""

from __future__ import annotations

import asyncio
import logging

from interviewer.service.ports import OrphanedWork
from interviewer.service.registry import SessionRegistry
from interviewer.service.sessions import INSTANCE_ID, SessionRunner

log = logging.getLogger("interviewer.sweeper")


class Sweeper:
    def __init__(self, registry: SessionRegistry, finder: OrphanedWork, *, interval: float = 5.0,
                 ttl: float = 15.0) -> None:
        self.registry, self.finder = registry, finder
        self.interval, self.ttl = interval, max(ttl, 2 * interval)  # a live beat never expires
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Beat and sweep until cancelled; a store outage only skips a round."""
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("sweeper.failed")
            await asyncio.sleep(self.interval)

    async def sweep(self) -> list[str]:
        """One round: renew this instance's heartbeat, adopt what is orphaned; the adopted ids."""
        await self.finder.heartbeat(INSTANCE_ID, ttl=self.ttl)
        adopted = []
        for session_id, owner in await self.finder.orphaned(limit=20):
            runner = await self.registry.adopt(session_id, owner, self.finder)
            if runner is None:
                continue
            log.info("sweeper.adopted", extra={"session_id": session_id, "from_owner": owner})
            adopted.append(session_id)
            task = asyncio.create_task(self._release_when_idle(runner))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return adopted

    async def _release_when_idle(self, runner: SessionRunner) -> None:
        await runner.wait_idle()
        await self.registry.release(runner)
