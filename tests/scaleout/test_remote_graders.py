"""INTERVIEWER_REMOTE_GRADERS: an app that does not grade, `interviewer grader` processes that do,
through a Redis Stream consumer group. A grader killed with SIGKILL in the middle of a job loses
nothing: another grader claims the job once it has been idle, and the candidate gets one grade."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_sync

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.judge.offline.judge import OfflineJudge
from interviewer.adapters.judge.offline.redis_stream import GROUP, STREAM, RedisStreamJudge
from interviewer.adapters.store.sessions_redis import make_client
from interviewer.client import interview
from interviewer.core.topic import topic_sentences
from tests.conftest import REPO, RedisServer
from tests.scaleout.procs import AppProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


class Grader:
    """`interviewer grader` in a child process."""

    def __init__(self, name: str, redis_url: str, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.log = workdir / f"grader-{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("INTERVIEWER_")}
        # torch, as the `encoder` fixture the grades are compared with
        env.update(INTERVIEWER_REDIS_URL=redis_url, INTERVIEWER_GRADER_CLAIM_IDLE="2",
                   INTERVIEWER_ENCODER_BACKEND="torch",
                   HF_HUB_OFFLINE="1", INTERVIEWER_LOG_LEVEL="INFO")
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from interviewer.cli import app; app()", "grader",
                 "--name", name], env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT)

    def wait_started(self, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-2000:]
            if "grader.started" in self.log.read_text(errors="replace"):
                return
            time.sleep(0.2)
        raise TimeoutError(self.log.read_text()[-2000:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def graders(tmp_path: Path) -> Iterator[list[Grader]]:
    started: list[Grader] = []
    yield started
    for g in started:
        g.stop()


@pytest.fixture(scope="module")
def bank() -> YamlQuestionBank:
    return YamlQuestionBank.load([REPO])


def test_a_remote_grade_is_the_local_grade(redis_server: RedisServer, graders: list[Grader],
                                           tmp_path: Path, bank: YamlQuestionBank,
                                           encoder: Any) -> None:
    graders.append(Grader("a", redis_server.url, tmp_path))
    graders[0].wait_started()
    q = bank.all()[3]
    assert q.rubric is not None
    # A sentence no earlier test encoded: the vectors must come from the grader's reply.
    answer = q.sample_answer.split(". ")[0] + ". I measured it on run 90417 of the sweep."

    async def remote() -> Any:
        client = make_client(redis_server.url)
        judge = RedisStreamJudge(client, encoder=encoder.name, remember=encoder.remember)
        try:
            return await judge.grade(question=q, rubric=q.rubric, answer=answer)
        finally:
            judge.close()
            await client.aclose()

    there = asyncio.run(remote())
    calls = encoder.calls
    encoder.encode(topic_sentences(answer))  # the topic check's texts: sent back by the grader
    assert encoder.calls == calls
    here = OfflineJudge(encoder).grade_sync(question=q, rubric=q.rubric, answer=answer)
    assert there.score == here.score and there.criteria == here.criteria


def pending_of(url: str) -> dict[str, int]:
    r = redis_sync.Redis.from_url(url, decode_responses=True)
    try:
        return {c["name"]: int(c["pending"]) for c in r.xinfo_consumers(STREAM, GROUP)}
    finally:
        r.close()


@pytest.mark.asyncio
async def test_a_grader_killed_mid_job_costs_the_candidate_nothing(
        redis_server: RedisServer, graders: list[Grader], tmp_path: Path,
        bank: YamlQuestionBank) -> None:
    app = AppProcess("app", tmp_path / "app", redis_server.url, tmp_path / "data",
                     env={"INTERVIEWER_REMOTE_GRADERS": "true"})
    graders.append(Grader("doomed", redis_server.url, tmp_path))
    app.start()
    try:
        app.wait_ready()
        graders[0].wait_started()
        async with interview(app.ws_url) as ws:
            q = await ws.start(num_questions=1, max_followups=0)
            sample = bank.get(q["question_id"]).sample_answer
            long_answer = " ".join([sample] * 8)[:7_900]
            await ws.send("answer.submit", text=long_answer)
            await ws.recv_until("answer.accepted")
            for _ in range(500):  # the doomed grader has taken the job
                if pending_of(redis_server.url).get("doomed"):
                    break
                await asyncio.sleep(0.02)
            assert pending_of(redis_server.url).get("doomed") == 1
            graders[0].proc.kill()
            graders[0].proc.wait(timeout=10)
            graders.append(Grader("heir", redis_server.url, tmp_path))
            grade = await ws.recv_until("grade", timeout=300)
            summary = await ws.recv_until("summary", timeout=120)
        grades = [m for m in ws.received if m["type"] == "grade"]
        assert len(grades) == 1 and grade["turn"] == 0 and summary["answered"] == 1
        assert pending_of(redis_server.url).get("heir", 0) == 0
        assert "grader.started" in graders[1].log.read_text()
    finally:
        app.stop()
