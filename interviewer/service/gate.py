"""The grading gate: at most `slots` interview answers are graded at once in this process.

The others wait in arrival order; a waiting answer's session is told its place in the queue and
an estimate (`grading.queued {position, eta_s}`), from the recent grading times.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

OnQueued = Callable[[int, float], Awaitable[None]]


class GradingGate:
    def __init__(self, slots: int, initial_seconds: float = 2.0) -> None:
        if slots < 1:
            raise ValueError("the grading gate needs at least one slot")
        self.slots = slots
        self.active = 0
        self.avg_seconds = initial_seconds  # moving average of a grade's time, for the estimate
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return sum(1 for f in self._waiters if not f.done())

    def eta(self, position: int) -> float:
        """Seconds until an answer at `position` (1 = next) starts, at the recent grading pace."""
        return round(math.ceil(position / self.slots) * self.avg_seconds, 1)

    @asynccontextmanager
    async def slot(self, on_queued: OnQueued | None = None) -> AsyncIterator[None]:
        if self.active < self.slots and not self.waiting:
            self.active += 1
        else:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            if on_queued is not None:
                position = self.waiting
                with contextlib.suppress(Exception):  # a client gone: the answer is graded all the same
                    await on_queued(position, self.eta(position))
            try:
                await fut  # the finishing grade hands its slot over
            except asyncio.CancelledError:
                if fut.done() and not fut.cancelled():
                    self._release()  # handed a slot just as we were cancelled: pass it on
                raise
        started = time.monotonic()
        try:
            yield
        finally:
            self.avg_seconds = 0.8 * self.avg_seconds + 0.2 * (time.monotonic() - started)
            self._release()

    def _release(self) -> None:
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return
        self.active -= 1
