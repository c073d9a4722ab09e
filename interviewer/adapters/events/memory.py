"""SessionEvents port in memory: asyncio queues, for one process (the SQLite mode)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

log = logging.getLogger("interviewer.events")

_END: dict[str, Any] = {}  # sentinel put on a queue to end its subscription


class MemorySubscription:
    """One subscriber's queue; bounded, so a stuck subscriber loses messages instead of memory."""

    def __init__(self, hub: MemorySessionEvents, session_id: str, maxsize: int) -> None:
        self._hub = hub
        self.session_id = session_id
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize)
        self._joined = False
        self._closed = False

    def _join(self) -> None:
        if not self._joined and not self._closed:
            self._hub._subs.setdefault(self.session_id, set()).add(self)
            self._joined = True

    async def __aenter__(self) -> MemorySubscription:
        self._join()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __aiter__(self) -> MemorySubscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        self._join()
        if self._closed:
            raise StopAsyncIteration
        msg = await self.queue.get()
        if msg is _END:
            raise StopAsyncIteration
        return msg

    def deliver(self, message: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            log.warning("events.dropped", extra={"session_id": self.session_id})

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        subs = self._hub._subs.get(self.session_id)
        if subs is not None:
            subs.discard(self)
            if not subs:
                del self._hub._subs[self.session_id]
        while True:  # make room for the sentinel so a waiting reader ends
            try:
                self.queue.put_nowait(_END)
                break
            except asyncio.QueueFull:
                self.queue.get_nowait()


class MemorySessionEvents:
    """Every subscriber of a session gets its own copy of each message published after it joined."""

    def __init__(self, *, maxsize: int = 1024) -> None:
        self.maxsize = maxsize
        self._subs: dict[str, set[MemorySubscription]] = {}

    async def publish(self, session_id: str, message: dict[str, Any]) -> None:
        body = json.dumps(message)  # the same contract as over Redis: JSON, copied per subscriber
        for sub in list(self._subs.get(session_id, ())):
            sub.deliver(json.loads(body))

    def subscribe(self, session_id: str) -> MemorySubscription:
        return MemorySubscription(self, session_id, self.maxsize)

    async def close(self) -> None:
        for subs in list(self._subs.values()):
            for sub in list(subs):
                await sub.aclose()
