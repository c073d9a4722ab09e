"""INTERVIEWER_GRADER_PROCESSES: the offline judge in worker processes grades exactly as in one
process, a worker killed with SIGKILL mid-job costs its job nothing (regraded by a new worker, one
grade), and a full queue answers Busy."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from functools import partial
from typing import Any

import numpy as np
import pytest

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.judge.offline.judge import OfflineJudge
from interviewer.adapters.judge.offline.processes import WORKER_NICE, ProcessPoolJudge
from interviewer.core.topic import topic_sentences
from interviewer.errors import Busy
from interviewer.settings import Settings
from interviewer.wiring import build_offline_judge
from tests.conftest import REPO


def worker_judge() -> Any:
    """What the app gives each worker: the configured offline judge, built in the worker."""
    # On torch, as the `encoder` fixture these tests compare with (grades and vectors).
    return partial(build_offline_judge, Settings(_env_file=None, encoder_backend="torch"),  # type: ignore[call-arg]
                   threads=1)


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolJudge]:
    judge = ProcessPoolJudge(worker_judge(), processes=1)
    judge.warm()
    yield judge
    judge.close()


@pytest.fixture(scope="module")
def bank() -> YamlQuestionBank:
    return YamlQuestionBank.load([REPO])


def test_a_worker_grades_as_the_judge_in_this_process(
        pool: ProcessPoolJudge, bank: YamlQuestionBank, encoder: Any) -> None:
    here = OfflineJudge(encoder)
    for q in bank.all()[:4]:
        assert q.rubric is not None
        answer = q.sample_answer.split(". ")[0] + "."
        there = asyncio.run(pool.grade(question=q, rubric=q.rubric, answer=answer))
        local = here.grade_sync(question=q, rubric=q.rubric, answer=answer)
        assert there.score == local.score and there.criteria == local.criteria
        assert there.feedback == local.feedback


def test_the_answer_sentences_come_back_so_the_server_does_not_encode_them_again(
        pool: ProcessPoolJudge, bank: YamlQuestionBank, encoder: Any) -> None:
    # The server's topic check reads the mean vector of the answer's sentences. Without the
    # vectors from the worker, the socket process ran the model again on every answer.
    q = bank.all()[2]
    assert q.rubric is not None
    answer = f"{q.sample_answer} I would check this on run 7481 before trusting it."
    sentences = topic_sentences(answer)
    pool.remember = encoder.remember
    try:
        asyncio.run(pool.grade(question=q, rubric=q.rubric, answer=answer))
    finally:
        pool.remember = None
    calls = encoder.calls
    vectors = encoder.encode(sentences)
    assert encoder.calls == calls  # every sentence came from the cache
    fresh = encoder.encode_uncached(sentences)
    assert np.allclose(vectors, fresh, atol=1e-4)  # the same model's vectors


def test_a_worker_runs_one_torch_thread(pool: ProcessPoolJudge) -> None:
    # torch's default, one thread per core in every worker and in the server, oversubscribed the
    # cores: at 2 answers/s two workers graded with a p50 of 8 s (bench/load_model.py, docs).
    assert pool.torch_threads() == 1


def test_workers_run_nicer_than_the_server(pool: ProcessPoolJudge) -> None:
    # Grading yields the CPU to the process that serves the sockets (bench/load_model.py, docs).
    pool.warm()
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    assert pool.pids() and all(os.getpriority(os.PRIO_PROCESS, pid) == min(ours + WORKER_NICE, 19)
                               for pid in pool.pids())


def test_a_worker_killed_mid_job_is_replaced_and_the_job_graded_once(
        pool: ProcessPoolJudge, bank: YamlQuestionBank) -> None:
    q = bank.all()[5]
    assert q.rubric is not None
    long_answer = " ".join([q.sample_answer] * 6)[:7_500]
    [victim] = pool.pids()
    streamed: list[str] = []

    async def run() -> Any:
        async def sink(text: str) -> None:
            streamed.append(text)

        job = asyncio.create_task(pool.grade(question=q, rubric=q.rubric, answer=long_answer,
                                             on_feedback=sink))
        await asyncio.sleep(0.1)  # submitted: the worker has it (or is about to); far from done
        os.kill(victim, signal.SIGKILL)
        return await asyncio.wait_for(job, 300)

    rebuilt = pool.rebuilt
    grade = asyncio.run(run())
    assert pool.rebuilt == rebuilt + 1 and victim not in pool.pids()
    again = asyncio.run(pool.grade(question=q, rubric=q.rubric, answer=long_answer))
    assert grade.score == again.score and grade.criteria == again.criteria
    assert "".join(streamed) == grade.feedback  # one grade's feedback, streamed once


def test_a_full_queue_answers_busy(bank: YamlQuestionBank) -> None:
    judge = ProcessPoolJudge(worker_judge(), processes=1, max_queue=1)
    q = bank.all()[0]
    assert q.rubric is not None

    async def run() -> list[Any]:
        jobs = [judge.grade(question=q, rubric=q.rubric, answer=f"{q.sample_answer} ({i})")
                for i in range(3)]
        return await asyncio.gather(*jobs, return_exceptions=True)

    try:
        results = asyncio.run(run())
    finally:
        judge.close()
    assert sum(isinstance(r, Busy) for r in results) == 2
    assert sum(not isinstance(r, BaseException) for r in results) == 1
