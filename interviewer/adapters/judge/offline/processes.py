"""The offline judge in worker processes: grading leaves the process that serves the sockets.

`INTERVIEWER_GRADER_PROCESSES=N` (N > 0) grades every answer in a pool of N spawned processes, each
with its own copy of the packaged model and of the offline judge. The event loop's process only
sends the work and streams the feedback back, so its sockets do not compete with grading for the
GIL. A worker that dies mid-job (killed, out of memory) breaks the pool: the pool is rebuilt and
the job graded again by a new worker, so the caller gets exactly one grade. More than `max_queue`
answers waiting is refused with Busy (back-pressure, as in one process).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from interviewer.core.judging import stream_text
from interviewer.core.models import Grade, Question, Rubric
from interviewer.core.ports import FeedbackSink, Vectors
from interviewer.core.topic import topic_sentences
from interviewer.errors import Busy

log = logging.getLogger("interviewer.grader")

ATTEMPTS = 3  # a job survives two broken pools (a worker killed twice under it) before it fails
# Workers run this much nicer than the server: when grading fills both cores, the process that
# serves the sockets still gets the CPU it needs to answer pings and relay frames promptly (at 24
# answers/s on 2 cores its ping p99 was 2.4x an echo socket's with workers at the same priority).
WORKER_NICE = 5


JudgeBuilder = Callable[[], Any]  # builds a worker's offline judge (picklable: a module function)

_judge: Any = None  # the worker's OfflineJudge


def _init_worker(build: JudgeBuilder) -> None:
    global _judge
    import torch

    import interviewer  # noqa: F401  (the offline environment: no hub downloads)

    # One intra-op thread per worker: torch's default is one per core in every process, so N
    # workers beside the server's own encoder ran N + 1 times as many spinning threads as there
    # are cores, and grading slowed down by an order of magnitude under load (bench/load_model.py).
    torch.set_num_threads(1)
    os.nice(WORKER_NICE)
    _judge = build()


def _grade(question: Question, rubric: Rubric, answer: str) -> tuple[Grade, list[str], Vectors]:
    """The grade, and the vectors of the answer's sentences (from the worker's encoder cache, filled
    by the grading) for the server's topic check, which would otherwise encode them again."""
    assert _judge is not None, "worker not initialised"
    grade: Grade = _judge.grade_sync(question=question, rubric=rubric, answer=answer)
    sentences = topic_sentences(answer)
    return grade, sentences, _judge.encoder.encode(sentences)


def _pid() -> int:
    return os.getpid()


def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


class ProcessPoolJudge:
    """Judge port: the offline judge run in a pool of worker processes."""

    name = "offline"

    def __init__(self, build: JudgeBuilder, *, processes: int, max_queue: int = 512,
                 remember: Callable[[Sequence[str], Vectors], None] | None = None) -> None:
        """`remember`: where the answer's sentence vectors go (the server's encoder cache: the
        workers run the same model, so its topic check reads them instead of encoding again)."""
        if processes < 1:
            raise ValueError("the grader pool needs at least one process")
        self.build, self.processes, self.max_queue = build, processes, max_queue
        self.remember = remember
        self._lock = threading.Lock()
        self._pool = self._new_pool()
        self._waiting = 0
        self.rebuilt = 0  # pools replaced after a worker died (for tests and metrics)

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.processes, mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker, initargs=(self.build,),
        )

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """A new pool for the one that broke (once, however many jobs saw it break)."""
        with self._lock:
            if self._pool is broken:
                log.warning("grader.worker_died", extra={"processes": self.processes})
                self._pool = self._new_pool()
                self.rebuilt += 1
        broken.shutdown(wait=False, cancel_futures=True)

    def warm(self) -> list[int]:
        """Start every worker and load its model now (blocking); their process ids."""
        pool = self._pool
        return sorted({f.result() for f in [pool.submit(_pid) for _ in range(4 * self.processes)]})

    def torch_threads(self) -> int:
        """A worker's torch intra-op threads (1: the pool's processes share the cores)."""
        return int(self._pool.submit(_torch_threads).result())

    def pids(self) -> list[int]:
        """The current workers' process ids (the pool's own table)."""
        return sorted(getattr(self._pool, "_processes", None) or {})

    async def grade(
        self, *, question: Question, rubric: Rubric, answer: str,
        on_feedback: FeedbackSink | None = None,
    ) -> Grade:
        if self._waiting >= self.max_queue:
            raise Busy("the grader is at capacity; retry shortly", retry_after=1.0)
        loop = asyncio.get_running_loop()
        self._waiting += 1
        try:
            for attempt in range(1, ATTEMPTS + 1):
                pool = self._pool
                try:
                    grade, sentences, vectors = await loop.run_in_executor(
                        pool, _grade, question, rubric, answer)
                    break
                except BrokenProcessPool:
                    await loop.run_in_executor(None, self._replace, pool)
                    if attempt == ATTEMPTS:
                        raise
        finally:
            self._waiting -= 1
        if self.remember is not None and sentences:
            self.remember(sentences, vectors)
        await stream_text(grade.feedback, on_feedback, words=4)
        return grade

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
