"""Crash safety with real processes: two `interviewer serve` instances sharing one redis-server.

The servers are shared across the cases, which run in file order: (a) a session moves from A to
B; (b) A is killed with SIGKILL right after an answer is accepted and restarted; (c) redis-server
is restarted in the middle of an interview; (d) a socket on B takes over a session live on A, whose
socket is closed at once; (e) SIGUSR1 makes B write its threads' stacks and B goes on; (f) A gets
SIGTERM while grading: the grade, the reconnect notice and a 1012 close reach the client, which
resumes on A restarted, and A exits by the signal (or by its shutdown deadline, with a warning
that carries its threads' stacks).
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import subprocess
import threading
import time
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import websockets

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.store.sessions_redis import RedisSessionStore
from interviewer.client import InterviewSocket, interview
from interviewer.service.messages import without_token
from tests.conftest import REPO, RedisServer
from tests.scaleout.procs import AppProcess

pytestmark = [pytest.mark.slow, pytest.mark.asyncio, pytest.mark.timeout(600)]

DURABLE = {"session", "question", "answer.accepted", "grade", "summary"}


@dataclass
class Cluster:
    redis: RedisServer
    a: AppProcess
    b: AppProcess
    bank: YamlQuestionBank
    ready_seconds: dict[str, float]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("scaleout")
    redis = RedisServer(root / "redis")
    redis.start()
    # One data dir: A builds the concept index there once, B and A's restart load it.
    a = AppProcess("a", root / "a", redis.url, root / "data")
    b = AppProcess("b", root / "b", redis.url, root / "data")
    try:
        a.start()
        ready = {"a": a.wait_ready()}
        b.start()
        ready["b"] = b.wait_ready()
        yield Cluster(redis, a, b, YamlQuestionBank.load([REPO]), ready)
    finally:
        a.stop()
        b.stop()
        redis.stop()


def answer_for(c: Cluster, question: dict[str, Any]) -> str:
    return c.bank.get(question["question_id"]).sample_answer


async def stored_log(c: Cluster, session_id: str) -> list[dict[str, Any]]:
    store = RedisSessionStore.from_url(c.redis.url)
    try:
        return await store.messages_after(session_id, 0)
    finally:
        await store.close()


def durable(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The replayable messages, each once (a replay after resume may repeat one), as stored: the
    `session` message without its token (the store keeps only its hash)."""
    out: dict[int, dict[str, Any]] = {}
    for m in messages:
        if m["type"] in DURABLE:
            out.setdefault(m["seq"], without_token(m) if m["type"] == "session" else m)
    return [out[s] for s in sorted(out)]


def assert_strictly_increasing(messages: list[dict[str, Any]]) -> None:
    seqs = [m["seq"] for m in messages if m["type"] != "error" or m["seq"]]
    assert all(b > a for a, b in itertools.pairwise(seqs)), seqs


def assert_complete(log: list[dict[str, Any]], questions: int) -> None:
    """session, then per question: question, answer.accepted, grade; then summary."""
    expected = ["session"] + ["question", "answer.accepted", "grade"] * questions + ["summary"]
    assert [m["type"] for m in log] == expected
    assert log[-1]["answered"] == questions


async def finish(ws: InterviewSocket, c: Cluster, question: dict[str, Any]) -> dict[str, Any]:
    await ws.answer(answer_for(c, question))
    return await ws.recv_until("summary")


async def test_a_session_moves_between_instances(cluster: Cluster) -> None:
    async with interview(cluster.a.ws_url) as on_a:
        q1 = await on_a.start(num_questions=2, max_followups=0)
        await on_a.answer(answer_for(cluster, q1))
        q2 = await on_a.recv_until("question")
        sid, token, last = on_a.session_id, on_a.resume_token, on_a.last_seq
        assert sid and token
    async with interview(cluster.b.ws_url) as on_b:
        await on_b.resume(sid, token, last_seq=last)
        summary = await finish(on_b, cluster, q2)
    transcript = on_a.received + on_b.received
    assert_strictly_increasing(transcript)
    assert summary["session_id"] == sid and summary["answered"] == 2
    log = await stored_log(cluster, sid)
    assert_complete(log, 2)
    assert durable(transcript) == log  # the client saw every durable message, exactly as stored


async def test_sigkill_after_an_answer_is_accepted(cluster: Cluster) -> None:
    async with interview(cluster.a.ws_url) as ws:
        q1 = await ws.start(num_questions=2, max_followups=0)
        await ws.send("answer.submit", text=answer_for(cluster, q1))
        await ws.recv_until("answer.accepted")
        cluster.a.kill9()
        sid, token, last = ws.session_id, ws.resume_token, ws.last_seq
        before = list(ws.received)
        assert sid and token
    graded_before_kill = any(m["type"] == "grade" for m in before)
    cluster.a.start()
    cluster.ready_seconds["a_restart"] = cluster.a.wait_ready()
    async with interview(cluster.a.ws_url) as ws2:
        await ws2.resume(sid, token, last_seq=last)
        if not graded_before_kill:
            grade = await ws2.recv_until("grade")
            assert grade["question_id"] == q1["question_id"]
        q2 = await ws2.recv_until("question")
        assert q2["index"] == 2
        summary = await finish(ws2, cluster, q2)
    assert summary["answered"] == 2
    transcript = before + ws2.received
    assert_strictly_increasing(transcript)
    log = await stored_log(cluster, sid)
    assert_complete(log, 2)
    assert durable(transcript) == log
    print(f"\nsigkill: grade {'before' if graded_before_kill else 'after'} the kill; "
          f"ready times {cluster.ready_seconds}")


async def test_redis_restart_mid_interview(cluster: Cluster) -> None:
    async with interview(cluster.b.ws_url) as ws:
        q1 = await ws.start(num_questions=2, max_followups=0)
        await ws.answer(answer_for(cluster, q1))
        q2 = await ws.recv_until("question")
        sid, token = ws.session_id, ws.resume_token
        assert sid and token
        cluster.redis.stop()  # SIGTERM: the AOF is flushed before it exits
        t0 = time.monotonic()
        restart = threading.Timer(1.0, cluster.redis.start)
        restart.start()
        # answered while Redis is down: the commit waits for the reconnect, then goes through
        await ws.send("answer.submit", text=answer_for(cluster, q2))
        await ws.recv_until("answer.accepted")
        accepted_after = time.monotonic() - t0
        grade = await ws.recv_until("grade")
        graded_after = time.monotonic() - t0
        restart.join()
        assert grade["question_id"] == q2["question_id"]
        summary = await ws.recv_until("summary")
        assert summary["answered"] == 2
    assert_strictly_increasing(ws.received)
    log = await stored_log(cluster, sid)
    assert_complete(log, 2)
    assert durable(ws.received) == log
    # and the other instance, whose pooled connections died too, serves a replay of it all
    async with interview(cluster.a.ws_url) as again:
        await again.resume(sid, token, last_seq=0)
        replay = [await again.recv() for _ in range(len(log))]
    assert durable(replay) == log and len(replay) == len(log)
    assert replay[0]["type"] == "session" and replay[0]["resume_token"] == token  # given back on replay
    print(f"\nredis down 1 s: answer accepted {accepted_after:.2f}s, graded {graded_after:.2f}s "
          "after it went down")


async def test_takeover_from_another_instance_closes_the_old_socket_at_once(cluster: Cluster) -> None:
    async with interview(cluster.a.ws_url) as on_a:
        q1 = await on_a.start(num_questions=2, max_followups=0)
        sid, token = on_a.session_id, on_a.resume_token
        assert sid and token
        async with interview(cluster.b.ws_url) as on_b:
            t0 = time.monotonic()
            await on_b.resume(sid, token, last_seq=0)
            # A's socket sends nothing: only the claim notice can end it
            err = await on_a.recv_until("error", timeout=30)
            with pytest.raises(websockets.ConnectionClosed):
                await on_a.recv(timeout=30)
            closed_after = time.monotonic() - t0
            assert err["code"] == "superseded" and on_a.close_code == 4409
            assert closed_after < 10
            replayed = await on_b.recv_until("question")
            assert replayed["question_id"] == q1["question_id"]
            await on_b.answer(answer_for(cluster, q1))
            q2 = await on_b.recv_until("question")
            summary = await finish(on_b, cluster, q2)
    assert summary["answered"] == 2
    log = await stored_log(cluster, sid)
    assert_complete(log, 2)
    print(f"\ntakeover: A's socket closed {closed_after:.2f}s after the resume on B")


async def exit_code_of(app: AppProcess) -> int:
    """Its exit code once it stops; a stop that hangs fails with every thread's stack (SIGUSR1).

    The wait runs in a thread so that this loop still serves the client's side of the closing
    TCP connection (the server may wait for it). It is longer than INTERVIEWER_SHUTDOWN_DEADLINE:
    past that deadline the process dumps its stacks itself and exits with status 1."""
    assert app.proc is not None
    try:
        return await asyncio.to_thread(app.proc.wait, 150)
    except subprocess.TimeoutExpired:
        app.proc.send_signal(signal.SIGUSR1)
        time.sleep(3)
        pytest.fail(f"{app.name} still running 150 s after SIGTERM:\n{app.tail(20000)}")


async def test_sigusr1_writes_every_threads_stack_and_the_server_goes_on(cluster: Cluster) -> None:
    assert cluster.b.proc is not None
    before = len(cluster.b.tail(10**9))
    cluster.b.proc.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 30
    while "Current thread" not in cluster.b.tail(10**9)[before:]:
        assert time.monotonic() < deadline, cluster.b.tail()
        time.sleep(0.1)
    dump = cluster.b.tail(10**9)[before:]
    assert dump.count("Thread 0x") >= 2 and "File " in dump  # the loop's thread and the workers'
    assert cluster.b.proc.poll() is None
    with urllib.request.urlopen(cluster.b.base_url + "/readyz", timeout=10) as r:
        assert r.status == 200


async def test_sigterm_finishes_grading_then_asks_clients_to_reconnect(cluster: Cluster) -> None:
    async with interview(cluster.a.ws_url) as ws:
        q1 = await ws.start(num_questions=2, max_followups=0)
        await ws.send("answer.submit", text=answer_for(cluster, q1))
        await ws.recv_until("answer.accepted")
        assert cluster.a.proc is not None
        graded_before = any(m["type"] == "grade" for m in ws.received)
        cluster.a.proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                await ws.recv(timeout=60)
        closed_after = time.monotonic() - t0
        assert ws.close_code == 1012 and ws.should_reconnect
        types = [m["type"] for m in ws.received]
        notice = ws.received[-1]
        assert notice["type"] == "error" and notice["code"] == "server_shutdown"
        assert notice["retry_after"] > 0
        # the answer in flight was graded before the notice, and the next question asked
        assert types.index("grade") < len(types) - 1 and "question" in types[types.index("grade"):]
        q2 = [m for m in ws.received if m["type"] == "question"][-1]
        assert q2["index"] == 2
        exit_code = await exit_code_of(cluster.a)
        # -15: a clean stop (uvicorn re-raises the signal). 1: the stop hung and the shutdown
        # deadline ended it, with every thread's stack in the log: reported as a warning that
        # carries those stacks (a hang seen once in CI, never reproduced), not as a failure.
        assert exit_code in (-signal.SIGTERM, 1), f"exit {exit_code}: {cluster.a.tail()}"
        if exit_code == 1:
            log = cluster.a.tail(30000)
            assert "Timeout (" in log, f"exit 1 without the deadline's dump: {log}"
            warnings.warn(f"A's stop hung until INTERVIEWER_SHUTDOWN_DEADLINE:\n{log}", stacklevel=1)
        cluster.a.proc = None
        cluster.a.start()
        cluster.ready_seconds["a_after_sigterm"] = cluster.a.wait_ready()
        await ws.reconnect(cluster.a.ws_url)
        summary = await finish(ws, cluster, q2)
    assert summary["answered"] == 2
    assert_strictly_increasing(ws.received)
    log = await stored_log(cluster, ws.session_id or "")
    assert_complete(log, 2)
    assert durable(ws.received) == log
    print(f"\nsigterm: grade {'before' if graded_before else 'after'} the signal; socket closed "
          f"(1012) {closed_after:.2f}s after it; exit code {exit_code}")
