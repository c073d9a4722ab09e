"""The services a running app uses, gathered in one container built by `interviewer.wiring`."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from interviewer.core.code_grade import code_question
from interviewer.core.models import Question, Rubric, content_digest
from interviewer.core.ports import Encoder, Judge, QuestionBank, Retriever
from interviewer.errors import NotFound
from interviewer.service.gate import GradingGate
from interviewer.service.ports import (
    AdminStore,
    CodeProblems,
    CodeRunner,
    RateLimits,
    SessionEvents,
    SessionStore,
)
from interviewer.service.webhooks import WebhookDispatcher
from interviewer.settings import Settings

RubricDeriver = Callable[[str, str, str], Rubric]  # (question_id, question_text, sample_answer)


@dataclass
class Services:
    settings: Settings
    bank: QuestionBank
    encoder: Encoder
    judge: Judge
    store: SessionStore
    retriever: Retriever
    derive: RubricDeriver
    admin: AdminStore  # keys, audit, webhooks and their outbox, partners' questions
    webhooks: WebhookDispatcher
    events: SessionEvents  # live notices between the runners of one session (any instance)
    gate: GradingGate  # interview grading admission (service/gate.py)
    code_bank: CodeProblems  # coding questions (questions/code/)
    code_runner: CodeRunner  # the sandbox; refuses every run when no isolation is possible
    limiter: RateLimits  # per key and per IP, shared by the instances through Redis when set
    # Shared clients the adapters borrow (the process's one Redis client): closed last.
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _adhoc: OrderedDict[str, Rubric] = field(default_factory=OrderedDict)
    _adhoc_lock: threading.Lock = field(default_factory=threading.Lock)

    async def aclose(self) -> None:
        """Close the connections: events, webhooks (after a short wait for deliveries), stores."""
        await self.events.close()
        await self.webhooks.wait_idle(timeout=5.0)
        await self.webhooks.close()
        await self.store.close()
        await self.code_runner.close()
        await self.admin.close()
        for part in (self.encoder, self.judge):  # the batcher's thread, the grader processes
            close = getattr(part, "close", None)
            if close is not None:
                close()
        for closer in self.closers:
            await closer()

    def _rubric_key(self, question: Question) -> str:
        return content_digest(question.id, question.text, question.sample_answer)

    def _cached_rubric(self, key: str) -> Rubric | None:
        with self._adhoc_lock:
            rubric = self._adhoc.get(key)
            if rubric is not None:
                self._adhoc.move_to_end(key)
            return rubric

    def rubric_for(self, question: Question) -> Rubric:
        """The question's own rubric, or one derived from its sample answer (cached by hash).

        Deriving runs the encoder: from async code use `rubric_for_async`.
        """
        if question.rubric is not None:
            return question.rubric
        key = self._rubric_key(question)
        rubric = self._cached_rubric(key)
        if rubric is None:
            rubric = self.derive(question.id, question.text, question.sample_answer)
            with self._adhoc_lock:
                self._adhoc[key] = rubric
                if len(self._adhoc) > 2048:
                    self._adhoc.popitem(last=False)
        return rubric

    async def rubric_for_async(self, question: Question) -> Rubric:
        """`rubric_for` that derives a new rubric in a worker thread, never on the event loop."""
        if question.rubric is not None:
            return question.rubric
        cached = self._cached_rubric(self._rubric_key(question))
        if cached is not None:
            return cached
        return await asyncio.to_thread(self.rubric_for, question)

    async def question_for(self, org_id: str, question_id: str) -> Question:
        """A bank question, a coding problem, else the org's own question (with its derived rubric)."""
        try:
            return self.bank.get(question_id)
        except NotFound:
            pass
        try:
            return code_question(self.code_bank.get(question_id))
        except NotFound:
            pass
        from interviewer.service.codec import question_from_dict

        doc = await self.admin.get_question(org_id, question_id)
        if doc is None:
            raise NotFound(f"no question {question_id!r}")
        q = question_from_dict(doc)
        return q if q.rubric is not None else replace(q, rubric=await self.rubric_for_async(q))
