"""The services a running app uses, gathered in one container built by `interviewer.wiring`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from interviewer.core.ports import Encoder, Judge, QuestionBank, Retriever
from interviewer.service.gate import GradingGate
from interviewer.service.ports import (
    AdminStore,
    CodeProblems,
    CodeRunner,
    RateLimits,
    SessionEvents,
    SessionStore,
    SocketSlots,
)
from interviewer.service.rubrics import Rubrics
from interviewer.service.webhooks import WebhookDispatcher
from interviewer.settings import Settings

log = logging.getLogger("interviewer.services")


@dataclass
class Services:
    settings: Settings
    bank: QuestionBank
    encoder: Encoder
    judge: Judge
    store: SessionStore
    retriever: Retriever
    rubrics: Rubrics  # questions without a rubric get one derived, cached
    admin: AdminStore  # keys, audit, webhooks and their outbox, partners' questions
    webhooks: WebhookDispatcher
    events: SessionEvents  # live notices between the runners of one session (any instance)
    gate: GradingGate  # interview grading admission (service/gate.py)
    code_bank: CodeProblems  # coding questions (questions/code/)
    code_runner: CodeRunner  # the sandbox; refuses every run when no isolation is possible
    limiter: RateLimits  # per key and per IP, shared by the instances through Redis when set
    socket_slots: SocketSlots  # open websockets per client address, across instances with Redis
    # Shared clients the adapters borrow (the process's one Redis client): closed last.
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def aclose(self) -> None:
        """Close the connections: events, webhooks (after a short wait for deliveries), stores.

        Each step gets CLOSE_STEP_SECONDS (the sandbox, which lets a sandbox it is starting come
        up before discarding it, SANDBOX_CLOSE_SECONDS); one that fails or hangs is logged and the
        next still runs, so that a stop always ends (what a step leaves open dies with the process).
        """
        steps: list[tuple[str, Callable[[], Awaitable[None]], float]] = [
            ("events", self.events.close, CLOSE_STEP_SECONDS),
            ("webhooks.wait_idle", lambda: self.webhooks.wait_idle(timeout=5.0), CLOSE_STEP_SECONDS),
            ("webhooks", self.webhooks.close, CLOSE_STEP_SECONDS),
            ("store", self.store.close, CLOSE_STEP_SECONDS),
            ("code_runner", self.code_runner.close, SANDBOX_CLOSE_SECONDS),
            ("admin", self.admin.close, CLOSE_STEP_SECONDS),
            ("socket_slots", self.socket_slots.close, CLOSE_STEP_SECONDS)]
        for name, step, seconds in steps:
            await _bounded(name, step, seconds)
        for part in (self.encoder, self.judge):  # the batcher's thread, the grader processes
            close = getattr(part, "close", None)
            if close is not None:
                close()
        for i, closer in enumerate(self.closers):
            await _bounded(f"closer[{i}]", closer, CLOSE_STEP_SECONDS)


CLOSE_STEP_SECONDS = 10.0
SANDBOX_CLOSE_SECONDS = 45.0  # its pending starts get up to 40 s (adapters/sandbox/bwrap.py)


async def _bounded(name: str, step: Callable[[], Awaitable[None]], seconds: float) -> None:
    try:
        await asyncio.wait_for(step(), seconds)
    except TimeoutError:
        log.error("shutdown.close_timeout", extra={"step": name, "seconds": seconds})
    except Exception:
        log.exception("shutdown.close_failed", extra={"step": name})
