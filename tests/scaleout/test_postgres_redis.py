"""Multi-instance mode with PostgreSQL as the system of record: two `interviewer serve` processes,
one PostgreSQL database (every durable write), one redis-server (live fan-out, rate limits).

Redis is flushed and restarted in the middle of an interview and an instance is killed with
SIGKILL: no acknowledged answer or grade may be lost, since they were committed in PostgreSQL.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis as redis_sync

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.store.db_migrate import upgrade
from interviewer.adapters.store.sessions_postgres import PostgresSessionStore
from interviewer.client import interview
from tests.conftest import REPO, PostgresCluster, RedisServer
from tests.scaleout.procs import AppProcess
from tests.scaleout.test_processes import assert_complete, assert_strictly_increasing, durable

pytestmark = [pytest.mark.slow, pytest.mark.asyncio, pytest.mark.timeout(600)]


@dataclass
class PgCluster:
    database_url: str
    redis: RedisServer
    a: AppProcess
    b: AppProcess
    bank: YamlQuestionBank


@pytest.fixture(scope="module")
def pg_cluster(tmp_path_factory: pytest.TempPathFactory,
               postgres_cluster: PostgresCluster) -> Iterator[PgCluster]:
    root = tmp_path_factory.mktemp("scaleout-pg")
    name = f"scaleout_{secrets.token_hex(4)}"
    url = postgres_cluster.create_database(name)
    upgrade(url)  # `interviewer db upgrade`, as a deployment runs it before the instances
    redis = RedisServer(root / "redis")
    redis.start()
    env = {"INTERVIEWER_DATABASE_URL": url, "INTERVIEWER_STORE": "postgres"}
    a = AppProcess("a", root / "a", redis.url, root / "data", env=env)
    b = AppProcess("b", root / "b", redis.url, root / "data", env=env)
    try:
        a.start()
        a.wait_ready()
        b.start()
        b.wait_ready()
        yield PgCluster(url, redis, a, b, YamlQuestionBank.load([REPO]))
    finally:
        a.stop()
        b.stop()
        redis.stop()
        postgres_cluster.drop_database(name)


def answer_for(c: PgCluster, question: dict[str, Any]) -> str:
    return c.bank.get(question["question_id"]).sample_answer


async def stored_log(c: PgCluster, session_id: str) -> list[dict[str, Any]]:
    store = PostgresSessionStore(c.database_url)
    try:
        return await store.messages_after(session_id, 0)
    finally:
        await store.close()


async def test_a_session_moves_between_instances_on_postgres(pg_cluster: PgCluster) -> None:
    c = pg_cluster
    async with interview(c.a.ws_url) as on_a:
        q1 = await on_a.start(num_questions=2, max_followups=0)
        await on_a.answer(answer_for(c, q1))
        q2 = await on_a.recv_until("question")
        sid, token, last = on_a.session_id, on_a.resume_token, on_a.last_seq
        assert sid and token
    async with interview(c.b.ws_url) as on_b:
        await on_b.resume(sid, token, last_seq=last)
        await on_b.answer(answer_for(c, q2))
        summary = await on_b.recv_until("summary")
    transcript = on_a.received + on_b.received
    assert_strictly_increasing(transcript)
    assert summary["answered"] == 2
    log = await stored_log(c, sid)
    assert_complete(log, 2)
    assert durable(transcript) == log
    # the list reads the indexed columns: the interview is there, completed
    import httpx

    async with httpx.AsyncClient(base_url=c.b.base_url) as http:
        page = (await http.get("/v1/interviews", params={"status": "completed"})).json()
    assert sid in [i["session_id"] for i in page["items"]]


async def test_redis_flushed_and_restarted_mid_interview_loses_nothing(pg_cluster: PgCluster) -> None:
    c = pg_cluster
    async with interview(c.b.ws_url) as ws:
        q1 = await ws.start(num_questions=3, max_followups=0)
        await ws.answer(answer_for(c, q1))
        q2 = await ws.recv_until("question")
        sid, token = ws.session_id, ws.resume_token
        assert sid and token
        # Everything Redis held is gone, then Redis itself goes away and comes back empty.
        r = redis_sync.Redis.from_url(c.redis.url)
        r.flushall()
        r.close()
        c.redis.stop()
        c.redis.start()
        await ws.answer(answer_for(c, q2))
        q3 = await ws.recv_until("question")
        await ws.answer(answer_for(c, q3))
        summary = await ws.recv_until("summary")
    assert summary["answered"] == 3
    log = await stored_log(c, sid)
    assert_complete(log, 3)
    assert durable(ws.received) == log
    # the other instance replays all of it from PostgreSQL
    async with interview(c.a.ws_url) as again:
        await again.resume(sid, token, last_seq=0)
        replay = [await again.recv() for _ in range(len(log))]
    assert durable(replay) == log


async def test_sigkill_after_an_answer_is_accepted_on_postgres(pg_cluster: PgCluster) -> None:
    c = pg_cluster
    async with interview(c.a.ws_url) as ws:
        q1 = await ws.start(num_questions=2, max_followups=0)
        await ws.send("answer.submit", text=answer_for(c, q1))
        await ws.recv_until("answer.accepted")
        c.a.kill9()
        sid, token, last = ws.session_id, ws.resume_token, ws.last_seq
        before = list(ws.received)
        assert sid and token
    graded_before_kill = any(m["type"] == "grade" for m in before)
    # the acknowledged answer is in PostgreSQL already
    assert "answer.accepted" in [m["type"] for m in await stored_log(c, sid)]
    async with interview(c.b.ws_url) as ws2:  # picked up on the other instance
        await ws2.resume(sid, token, last_seq=last)
        if not graded_before_kill:
            grade = await ws2.recv_until("grade")
            assert grade["question_id"] == q1["question_id"]
        q2 = await ws2.recv_until("question")
        await ws2.answer(answer_for(c, q2))
        summary = await ws2.recv_until("summary")
    assert summary["answered"] == 2
    log = await stored_log(c, sid)
    assert_complete(log, 2)
    assert durable(before + ws2.received) == log
    c.a.start()
    c.a.wait_ready()
