"""Graders as a service: the offline judge's work through a Redis Stream consumer group.

With `INTERVIEWER_REMOTE_GRADERS=true` an app instance does not grade: `RedisStreamJudge` adds each
job (question, rubric, answer; JSON) to the stream `iv:grade:jobs` and waits for its grade. Any
number of `interviewer grader` processes, on any machine that reaches Redis, read the stream as one
consumer group (`graders`), grade, store the grade under `iv:grade:res:<job>` (10 minutes) and
publish it to the asking instance's channel. A grader that dies mid-job leaves the entry pending;
another grader claims it once it has been idle `claim_idle` seconds (XAUTOCLAIM) and grades it
again, so no job is lost. The asking instance takes the first grade of a job and ignores a late
duplicate, so the candidate gets exactly one. A job delivered `MAX_DELIVERIES` times without an
answer (it kills its graders) is answered with an error instead of looping forever.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import redis.asyncio as aioredis
from pydantic import TypeAdapter
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from interviewer.core.judging import stream_text
from interviewer.core.models import Grade, Question, Rubric
from interviewer.core.ports import FeedbackSink, Vectors
from interviewer.core.topic import topic_sentences
from interviewer.errors import Busy, GradingFailed

log = logging.getLogger("interviewer.grader")

STREAM = "iv:grade:jobs"
GROUP = "graders"
RESULT_TTL = 600  # seconds a grade waits under iv:grade:res:<job> for an instance that missed it
MAX_DELIVERIES = 3
STREAM_MAXLEN = 100_000

_question: TypeAdapter[Question] = TypeAdapter(Question)
_rubric: TypeAdapter[Rubric] = TypeAdapter(Rubric)
_grade: TypeAdapter[Grade] = TypeAdapter(Grade)


def pack_vectors(texts: Sequence[str], vectors: Vectors) -> dict[str, Any]:
    """Sentence vectors for a JSON reply: the texts, and float32 rows in base64."""
    data = np.ascontiguousarray(vectors, dtype="<f4")
    return {"texts": list(texts), "dim": int(data.shape[1]) if data.ndim == 2 else 0,
            "f32": base64.b64encode(data.tobytes()).decode("ascii")}


def unpack_vectors(packed: dict[str, Any]) -> tuple[list[str], Vectors]:
    texts = [str(t) for t in packed["texts"]]
    flat = np.frombuffer(base64.b64decode(packed["f32"]), dtype="<f4")
    return texts, flat.reshape(len(texts), int(packed["dim"])).astype(np.float32)


def result_key(job: str) -> str:
    return f"iv:grade:res:{job}"


def reply_channel(instance: str) -> str:
    return f"iv:grade:done:{instance}"


class RedisStreamJudge:
    """Judge port: hands the job to the grader service and waits for its grade."""

    name = "offline"

    def __init__(self, client: aioredis.Redis, *, timeout: float = 300.0, max_queue: int = 512,
                 poll: float = 2.0, encoder: str | None = None,
                 remember: Callable[[Sequence[str], Vectors], None] | None = None) -> None:
        """`encoder` names this instance's model; a grader running the same one sends back the
        answer's sentence vectors, which go to `remember` (this instance's encoder cache)."""
        self.encoder, self.remember = encoder, remember
        self.redis, self.timeout, self.max_queue, self.poll = client, timeout, max_queue, poll
        self.instance = secrets.token_hex(6)
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._subscribed: asyncio.Event | None = None

    async def _listen(self) -> None:
        assert self._subscribed is not None
        ps = self.redis.pubsub()
        try:
            await ps.subscribe(reply_channel(self.instance))
            self._subscribed.set()
            while True:
                msg = await ps.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if msg is not None and msg["type"] == "message":
                    self._resolve(json.loads(msg["data"]))
        finally:
            await ps.aclose()  # type: ignore[no-untyped-call]

    def _resolve(self, reply: dict[str, Any]) -> None:
        fut = self._waiting.get(str(reply.get("job")))
        if fut is not None and not fut.done():  # the first answer wins; a late duplicate is dropped
            fut.set_result(reply)

    async def _ensure_listener(self) -> None:
        if self._listener is None or self._listener.done():
            self._subscribed = asyncio.Event()
            self._listener = asyncio.create_task(self._listen(), name="grader.replies")
            await asyncio.wait_for(self._subscribed.wait(), 10)

    async def grade(
        self, *, question: Question, rubric: Rubric, answer: str,
        on_feedback: FeedbackSink | None = None,
    ) -> Grade:
        if len(self._waiting) >= self.max_queue:
            raise Busy("the grader is at capacity; retry shortly", retry_after=1.0)
        await self._ensure_listener()
        job = secrets.token_hex(12)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[job] = fut
        try:
            body = {"job": job, "reply": reply_channel(self.instance), "answer": answer,
                    "question": _question.dump_python(question, mode="json"),
                    "rubric": _rubric.dump_python(rubric, mode="json")}
            if self.encoder is not None and self.remember is not None:
                body["encoder"] = self.encoder
            await self.redis.xadd(STREAM, {"job": json.dumps(body)}, maxlen=STREAM_MAXLEN,
                                  approximate=True)
            reply = await self._wait(job, fut)
        finally:
            self._waiting.pop(job, None)
        if "error" in reply:
            raise GradingFailed(f"the grader failed: {reply['error']}")
        grade = _grade.validate_python(reply["grade"])
        if self.remember is not None and reply.get("vectors"):
            self.remember(*unpack_vectors(reply["vectors"]))
        await stream_text(grade.feedback, on_feedback, words=4)
        return grade

    async def _wait(self, job: str, fut: asyncio.Future[dict[str, Any]]) -> dict[str, Any]:
        """The published reply; a stored one if the publish was missed (a reconnect)."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return await asyncio.wait_for(asyncio.shield(fut), self.poll)
            except TimeoutError:
                stored = await self.redis.get(result_key(job))
                if stored is not None:
                    return {"job": job, **json.loads(stored)}
                if time.monotonic() > deadline:
                    raise Busy("no grader answered in time; the answer stays stored",
                               retry_after=5.0) from None

    def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()


class GraderWorker:
    """One consumer of the group: claims stale jobs first, then reads new ones, one at a time."""

    def __init__(self, client: aioredis.Redis, judge: Any, *, consumer: str | None = None,
                 claim_idle: float = 30.0, block_ms: int = 2000) -> None:
        self.redis, self.judge = client, judge
        self.consumer = consumer or f"grader-{secrets.token_hex(4)}"
        self.claim_idle_ms, self.block_ms = int(claim_idle * 1000), block_ms
        self.graded = 0

    async def setup(self) -> None:
        try:
            await self.redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        except ResponseError as exc:  # BUSYGROUP: another grader made it first
            if "BUSYGROUP" not in str(exc):
                raise

    async def run(self, stop: asyncio.Event) -> None:
        await self.setup()
        log.info("grader.started", extra={"consumer": self.consumer})
        while not stop.is_set():
            try:
                claimed = await self._claim()
                for entry_id, fields in claimed or await self._read():
                    await self._handle(entry_id, fields, claimed=bool(claimed))
            except (ConnectionError, OSError, RedisConnectionError) as exc:
                log.warning("grader.redis_unavailable", extra={"error": str(exc)})
                await asyncio.sleep(1.0)

    async def _claim(self) -> list[tuple[str, dict[str, str]]]:
        """Entries another grader took and left idle too long (it died): ours now."""
        _, entries, *_ = await self.redis.xautoclaim(
            STREAM, GROUP, self.consumer, min_idle_time=self.claim_idle_ms, start_id="0-0", count=1)
        return [(i, f) for i, f in entries if f]

    async def _read(self) -> list[tuple[str, dict[str, str]]]:
        got: Any = await self.redis.xreadgroup(GROUP, self.consumer, {STREAM: ">"}, count=1,
                                               block=self.block_ms)
        if not got:
            return []
        # RESP2 answers [[stream, entries]], RESP3 {stream: [entries]}
        entries = got[STREAM][0] if isinstance(got, dict) else got[0][1]
        return [(i, f) for i, f in entries]

    async def _delivered(self, entry_id: str) -> int:
        """How many graders have been given this entry (this one included)."""
        pending = await self.redis.xpending_range(STREAM, GROUP, min=entry_id, max=entry_id, count=1)
        return int(pending[0]["times_delivered"]) if pending else 1

    async def _handle(self, entry_id: str, fields: dict[str, str], *, claimed: bool) -> None:
        body = json.loads(fields["job"])
        job, reply_to = str(body["job"]), str(body["reply"])
        # A new entry is on its first delivery: only a claimed one needs its count read.
        delivered = await self._delivered(entry_id) if claimed else 1
        if delivered > MAX_DELIVERIES:
            reply: dict[str, Any] = {"error": f"the job failed {delivered - 1} graders"}
            log.error("grader.poison_job", extra={"job": job, "deliveries": delivered})
        else:
            question = _question.validate_python(body["question"])
            rubric = _rubric.validate_python(body["rubric"])
            grade = await asyncio.to_thread(self.judge.grade_sync, question=question,
                                            rubric=rubric, answer=str(body["answer"]))
            reply = {"grade": _grade.dump_python(grade, mode="json")}
            encoder = getattr(self.judge, "encoder", None)
            if encoder is not None and body.get("encoder") == encoder.name:
                sentences = topic_sentences(str(body["answer"]))
                reply["vectors"] = pack_vectors(sentences, encoder.encode(sentences))
            self.graded += 1
        data = json.dumps(reply)
        await self.redis.set(result_key(job), data, ex=RESULT_TTL)
        await self.redis.publish(reply_to, json.dumps({"job": job, **reply}))
        await self.redis.xack(STREAM, GROUP, entry_id)
        await self.redis.xdel(STREAM, entry_id)
