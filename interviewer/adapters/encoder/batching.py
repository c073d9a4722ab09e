"""Micro-batching Encoder: concurrent encode() calls from many threads share one model call."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from interviewer.core.ports import Encoder, TokenVectors, Vectors
from interviewer.errors import Busy, ServerShutdown

POLL_SECONDS = 0.5  # how often a waiting caller (or the idle worker) checks for `close`


@dataclass
class _Request:
    texts: Sequence[str]
    future: Future[Vectors]


class BatchingEncoder:
    """Collects requests for up to `max_wait_ms` (or `max_batch` texts) and encodes them together.

    The queue is bounded: when `max_queue` requests wait, `encode` raises `Busy` at once instead of
    queueing without limit. `close` lets the calls already queued finish and refuses the later ones
    with `ServerShutdown`: a worker thread left waiting on a batch that will never run would keep
    the process from exiting.
    """

    def __init__(self, inner: Encoder, *, max_batch: int = 256, max_wait_ms: float = 5.0,
                 max_queue: int = 512) -> None:
        self.inner = inner
        self.name = inner.name
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self._queue: queue.Queue[_Request | None] = queue.Queue(maxsize=max_queue)
        self.batches = 0
        self.batched_requests = 0
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._run, name="encoder-batcher", daemon=True)
        self._worker.start()

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Blocks the calling thread until its vectors are ready; raises Busy when full."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if self._stop.is_set():
            raise _stopped()
        req = _Request(list(texts), Future())
        try:
            self._queue.put_nowait(req)
        except queue.Full:
            raise Busy("the grader is at capacity; retry shortly", retry_after=1.0) from None
        while True:
            try:
                return req.future.result(timeout=POLL_SECONDS)
            except TimeoutError:
                # closed while this request was queued behind the stop marker: nobody will run it
                if self._stop.is_set() and not self._worker.is_alive():
                    raise _stopped() from None

    def encode_tokens(self, texts: Sequence[str]) -> list[TokenVectors]:
        """Token vectors from the inner encoder (cached from the batch that encoded the texts)."""
        return self.inner.encode_tokens(texts)

    def remember(self, texts: Sequence[str], vectors: Vectors) -> None:
        """Prime the inner encoder's cache with vectors a grader process computed, when it keeps one."""
        remember = getattr(self.inner, "remember", None)
        if remember is not None:
            remember(texts, vectors)

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        """Refuse new calls, finish the ones queued before it, then stop the worker (up to 5 s)."""
        self._stop.set()
        with contextlib.suppress(queue.Full):  # else the worker sees the flag once it is empty
            self._queue.put(None, timeout=1.0)
        self._worker.join(timeout=5)

    def _fail_waiting(self) -> None:
        """Refuse what was queued after the stop marker (a call racing with `close`)."""
        while True:
            try:
                req = self._queue.get_nowait()
            except queue.Empty:
                return
            if req is not None and not req.future.done():
                req.future.set_exception(_stopped())

    def _collect(self, first: _Request) -> list[_Request]:
        batch, size = [first], len(first.texts)
        deadline = time.monotonic() + self.max_wait
        while size < self.max_batch:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                nxt = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            if nxt is None:
                with contextlib.suppress(queue.Full):  # else the stop flag ends the loop
                    self._queue.put_nowait(None)  # let the loop see the stop marker
                break
            batch.append(nxt)
            size += len(nxt.texts)
        return batch

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not self._stop.is_set():
                    continue
                first = None
            if first is None:
                self._fail_waiting()
                return
            batch = self._collect(first)
            texts = [t for r in batch for t in r.texts]
            try:
                vectors = self.inner.encode(texts)
            except BaseException as exc:  # hand the failure to every waiting caller
                for r in batch:
                    r.future.set_exception(exc)
                continue
            self.batches += 1
            self.batched_requests += len(batch)
            start = 0
            for r in batch:
                r.future.set_result(vectors[start:start + len(r.texts)])
                start += len(r.texts)


def _stopped() -> ServerShutdown:
    return ServerShutdown("the encoder is stopping with the server; reconnect and resume")
