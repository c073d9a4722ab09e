"""Orphaned grading with real processes: an instance killed with SIGKILL while it grades leaves the
answer stored; the other instance's sweeper grades it and asks the next question while nobody is
connected, so the candidate who comes back finds both waiting.

A grades with an LLM judge whose (fake) provider never answers, so the kill always lands in the
middle of grading; B grades offline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.store.sessions_redis import RedisSessionStore
from interviewer.client import interview
from tests.conftest import REPO, RedisServer
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.scaleout.procs import AppProcess

pytestmark = [pytest.mark.slow, pytest.mark.asyncio, pytest.mark.timeout(600)]

SWEEP = {"INTERVIEWER_SWEEP_INTERVAL": "0.5", "INTERVIEWER_INSTANCE_TTL": "2"}


@dataclass
class Pair:
    redis: RedisServer
    a: AppProcess
    b: AppProcess
    fake: FakeOpenAI
    bank: YamlQuestionBank


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("sweeper")
    redis = RedisServer(root / "redis")
    redis.start()
    fake = FakeOpenAI(Reply.timeout(600)).start()
    hanging = {"INTERVIEWER_JUDGE_MODEL": "openai/fake-judge", "INTERVIEWER_JUDGE_API_BASE": fake.api_base,
               "INTERVIEWER_JUDGE_API_KEY": "test", "INTERVIEWER_JUDGE_TIMEOUT": "600",
               "INTERVIEWER_JUDGE_MAX_RETRIES": "0", **SWEEP}
    a = AppProcess("a", root / "a", redis.url, root / "data", env=hanging)
    b = AppProcess("b", root / "b", redis.url, root / "data", env=SWEEP)
    try:
        a.start()
        a.wait_ready()
        b.start()
        b.wait_ready()
        yield Pair(redis, a, b, fake, YamlQuestionBank.load([REPO]))
    finally:
        a.stop()
        b.stop()
        fake.stop()
        redis.stop()


async def stored(p: Pair, session_id: str) -> list[dict[str, Any]]:
    store = RedisSessionStore.from_url(p.redis.url)
    try:
        return await store.messages_after(session_id, 0)
    finally:
        await store.close()


async def test_grading_cut_by_sigkill_is_finished_by_the_other_instance(pair: Pair) -> None:
    async with interview(pair.a.ws_url) as ws:
        q1 = await ws.start(num_questions=2, max_followups=0)
        await ws.send("answer.submit", text=pair.bank.get(q1["question_id"]).sample_answer)
        await ws.recv_until("answer.accepted")
        deadline = time.monotonic() + 30
        while not pair.fake.requests:  # A is waiting on its judge
            assert time.monotonic() < deadline, "A never asked its judge"
            await asyncio.sleep(0.05)
        pair.a.kill9()
        killed = time.monotonic()
        sid, token = ws.session_id, ws.resume_token
        assert sid and token
    # nobody is connected now: only a sweeper can move the session on
    types: list[str] = []
    while "question" not in types[3:]:
        assert time.monotonic() - killed < 60, f"not taken over: {types}"
        await asyncio.sleep(0.2)
        types = [m["type"] for m in await stored(pair, sid)]
    took = time.monotonic() - killed
    log = await stored(pair, sid)
    assert types == ["session", "question", "answer.accepted", "grade", "question"]
    assert log[3]["question_id"] == q1["question_id"] and log[4]["index"] == 2
    # the candidate comes back (to B) and finds the grade and the next question
    async with interview(pair.b.ws_url) as back:
        await back.resume(sid, token, last_seq=2)
        grade = await back.recv_until("grade")
        q2 = await back.recv_until("question")
        assert grade["seq"] == log[3]["seq"] and q2["question_id"] == log[4]["question_id"]
        await back.answer(pair.bank.get(q2["question_id"]).sample_answer)
        summary = await back.recv_until("summary")
    assert summary["answered"] == 2
    print(f"\nsweeper: grading taken over and done {took:.2f}s after the SIGKILL "
          f"(heartbeat ttl {SWEEP['INTERVIEWER_INSTANCE_TTL']} s)")
