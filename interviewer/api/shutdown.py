"""Graceful stop: finish in-flight grading, tell every socket to reconnect (1012), then let uvicorn exit.

uvicorn closes websockets with 1012 as soon as it starts its own shutdown, before the lifespan
shutdown runs; so the notice has to go out first. On SIGTERM/SIGINT the app runs its drain, then
hands the signal to the handler that was installed before (uvicorn's), which stops the server.
The signal also arms a deadline (`shutdown_deadline`): a stop that hangs dumps every thread's stack
to stderr and exits with status 1, instead of waiting for the orchestrator's SIGKILL.
"""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from fastapi import FastAPI

log = logging.getLogger("interviewer.shutdown")

SIGNALS = (signal.SIGTERM, signal.SIGINT)


async def drain(app: FastAPI) -> None:
    """Stop taking sessions, let grading finish, notify and close every socket (idempotent)."""
    state = app.state
    if state.draining:
        return
    state.draining = True
    grace = float(state.settings.shutdown_grace)
    log.info("shutdown.drain", extra={"sockets": len(state.sockets.connections), "grace_s": grace})
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await state.sockets.shutdown(grace)
    if state.registry is not None:  # sessions graded in the background, without a socket
        await state.registry.drain(max(0.0, grace - (loop.time() - t0)))
    log.info("shutdown.drained", extra={"seconds": round(loop.time() - t0, 3)})


def arm_deadline(seconds: float) -> None:
    """Exit with status 1 after `seconds`, writing every thread's stack to stderr first."""
    log.info("shutdown.deadline", extra={"seconds": seconds})
    faulthandler.dump_traceback_later(seconds, exit=True)


def install_signal_drain(app: FastAPI) -> Callable[[], None]:
    """Run `drain` before the previous SIGTERM/SIGINT handler; returns a function that undoes it.

    Only in the main thread (where signals are delivered); elsewhere (tests serving from a thread)
    it does nothing and the lifespan shutdown drains instead.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {sig: signal.getsignal(sig) for sig in SIGNALS}

    def pass_on(sig: int, frame: FrameType | None) -> None:
        prev = previous[sig]
        if callable(prev):
            prev(sig, frame)
        elif prev == signal.SIG_DFL:
            signal.signal(sig, signal.SIG_DFL)
            signal.raise_signal(sig)

    started = False

    def handler(sig: int, frame: FrameType | None) -> None:
        nonlocal started
        if started:  # a second signal: stop now, as the server would have
            pass_on(sig, frame)
            return
        started = True
        arm_deadline(float(app.state.settings.shutdown_deadline))

        def done(task: asyncio.Task[None]) -> None:
            if not task.cancelled() and task.exception() is not None:
                log.error("shutdown.drain_failed", exc_info=task.exception())
            pass_on(sig, frame)

        loop.call_soon_threadsafe(lambda: loop.create_task(drain(app)).add_done_callback(done))

    for sig in SIGNALS:
        signal.signal(sig, handler)

    def restore() -> None:
        for sig, prev in previous.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, prev)

    return restore
