"""/metrics after a real interview over the websocket: sessions, grades, messages and errors moved."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client.parser import text_string_to_metric_families

from interviewer.client import interview
from tests.api.conftest import LiveServer


async def scrape(live: LiveServer) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    async with httpx.AsyncClient(base_url=live.base_url) as http:
        r = await http.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for fam in text_string_to_metric_families(r.text) for s in fam.samples}


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_follow_an_interview(live_server: LiveServer) -> None:
    before = await scrape(live_server)
    active0 = value(before, "interviewer_sessions_active")
    async with interview(live_server.ws_url) as ws:
        q = await ws.start(num_questions=1, max_followups=0)
        during = await scrape(live_server)
        assert value(during, "interviewer_sessions_active") == active0 + 1
        await ws.conn.send("{not json")
        assert (await ws.recv_until("error"))["code"] == "malformed_json"
        answer = live_server.services.bank.get(q["question_id"]).sample_answer
        await ws.answer(answer)  # streamed as deltas of 40 characters, then submitted
        await ws.recv_until("summary")
    deltas = len(range(0, len(answer), 40))
    for _ in range(100):  # the server notices the close a moment later
        after = await scrape(live_server)
        if value(after, "interviewer_sessions_active") == active0:
            break
        await asyncio.sleep(0.05)
    assert value(after, "interviewer_sessions_active") == active0

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("interviewer_grades_total", judge="offline", outcome="ok") == 1
    assert moved("interviewer_judge_latency_seconds_count", judge="offline") == 1
    assert moved("interviewer_judge_latency_seconds_sum", judge="offline") > 0
    inbound = {t: moved("interviewer_ws_messages_total", direction="in", type=t)
               for t in ("start", "answer.delta", "answer.submit", "invalid")}
    assert inbound == {"start": 1, "answer.delta": deltas, "answer.submit": 1, "invalid": 1}
    outbound = {t: moved("interviewer_ws_messages_total", direction="out", type=t)
                for t in ("session", "question", "answer.accepted", "grade", "summary", "error")}
    assert outbound == {"session": 1, "question": 1, "answer.accepted": 1, "grade": 1, "summary": 1,
                        "error": 1}
    assert moved("interviewer_ws_messages_total", direction="out", type="feedback.delta") >= 1
    assert moved("interviewer_errors_total", code="malformed_json") == 1


async def test_rest_errors_are_counted(live_server: LiveServer) -> None:
    before = await scrape(live_server)
    async with httpx.AsyncClient(base_url=live_server.base_url) as http:
        assert (await http.get("/v1/questions/no-such-question")).status_code == 404
        assert (await http.get("/v1/questions", params={"limit": -1})).status_code == 422
    after = await scrape(live_server)
    for code in ("not_found", "invalid_request"):
        key = ("interviewer_errors_total", frozenset({("code", code)}))
        assert after.get(key, 0.0) - before.get(key, 0.0) == 1, code


async def test_event_loop_lag_is_observed() -> None:
    import time

    from interviewer import metrics

    count0 = metrics.LOOP_LAG._sum.get(), sum(b.get() for b in metrics.LOOP_LAG._buckets)
    watcher = asyncio.create_task(metrics.watch_loop_lag(interval=0.05))
    await asyncio.sleep(0.12)
    time.sleep(0.4)  # a blocked loop: the watcher's timer fires about 0.35 s late
    await asyncio.sleep(0.12)
    watcher.cancel()
    assert metrics.LOOP_LAG_MAX._value.get() >= 0.3
    assert metrics.LOOP_LAG._sum.get() - count0[0] >= 0.3
    assert sum(b.get() for b in metrics.LOOP_LAG._buckets) > count0[1]


async def test_live_server_exports_loop_lag(live_server: LiveServer) -> None:
    before = await scrape(live_server)
    await asyncio.sleep(0.8)  # the app's watcher observes every 0.25 s
    after = await scrape(live_server)
    assert ("interviewer_event_loop_lag_max_seconds", frozenset()) in after
    observed = (value(after, "interviewer_event_loop_lag_seconds_count")
                - value(before, "interviewer_event_loop_lag_seconds_count"))
    assert observed >= 2
