"""Idempotency keys, batch grading, rate limits (429 + Retry-After) and the auth-off default."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from interviewer.api.app import create_app
from interviewer.client import ApiError, Client
from interviewer.service.container import Services
from interviewer.wiring import build_services
from tests.api.authkit import make_keys
from tests.api.conftest import LiveServer, make_settings, serve


@pytest.fixture
def limited(tmp_path: Path, encoder, bank) -> Iterator[tuple[LiveServer, dict[tuple[str, str], str]]]:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, auth="on", rate_limit="4/minute", rate_limit_ip="1000/minute",
                             ws_rate_limit="5/minute")
    svc = build_services(settings, encoder=encoder, bank=bank)
    keys = make_keys(svc)
    for live in serve(svc):
        yield live, keys


def qid_of(svc: Services) -> str:
    return svc.bank.all()[0].id


def test_idempotent_grade_and_interview_creation(live_server: LiveServer) -> None:
    qid = qid_of(live_server.services)
    with Client(live_server.base_url) as c:
        a = c._raw("POST", "/v1/grade", json={"question_id": qid, "answer": "softmax saturates"},
                   idempotency_key="grade-1")
        b = c._raw("POST", "/v1/grade", json={"question_id": qid, "answer": "softmax saturates"},
                   idempotency_key="grade-1")
        assert a.json() == b.json() and b.headers.get("idempotent-replayed") == "true"
        assert "idempotent-replayed" not in a.headers
        with pytest.raises(ApiError) as e:
            c.grade("another answer", question_id=qid, idempotency_key="grade-1")
        assert e.value.status == 409 and e.value.code == "idempotency_conflict"
        # a failed request does not burn its key
        with pytest.raises(ApiError):
            c.grade("x", question_id="missing", idempotency_key="grade-2")
        with pytest.raises(ApiError) as e:
            c.grade("x", question_id="missing", idempotency_key="grade-2")
        assert e.value.status == 404
        one = c.create_interview(num_questions=1, idempotency_key="iv-1")
        two = c.create_interview(num_questions=1, idempotency_key="iv-1")
        assert one == two
        three = c.create_interview(num_questions=1)
        assert three["session_id"] != one["session_id"]


def test_grade_batch(live_server: LiveServer) -> None:
    svc = live_server.services
    qs = svc.bank.all()[:3]
    items = [{"question_id": q.id, "answer": q.sample_answer} for q in qs]
    items.append({"question_id": "missing", "answer": "x"})
    items.append({"question": "Why is the sky blue?", "sample_answer": "Rayleigh scattering of short "
                  "wavelengths by air molecules makes the sky look blue.", "answer": "Rayleigh scattering."})
    with Client(live_server.base_url) as c:
        out = c.grade_batch(items)["items"]
        assert [i["index"] for i in out] == list(range(5))
        assert all(i["grade"]["question_id"] == q.id for i, q in zip(out[:3], qs, strict=True))
        assert out[3]["grade"] is None and out[3]["error"]["code"] == "not_found"
        assert out[4]["grade"]["question_id"].startswith("adhoc:")
        single = c.grade(qs[0].sample_answer, question_id=qs[0].id)
        assert out[0]["grade"]["score"] == single["score"]
        r = c._http.post("/v1/grade/batch", json={"items": [items[0]] * 101})
        assert r.status_code == 422
        r = c._http.post("/v1/grade/batch", json={"items": []})
        assert r.status_code == 422


def test_rest_rate_limit_per_key(limited: tuple[LiveServer, dict[tuple[str, str], str]]) -> None:
    live, keys = limited
    headers = {"Authorization": f"Bearer {keys[('acme', 'recruiter')]}"}
    codes = [httpx.get(live.base_url + "/v1/questions", headers=headers).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    r = httpx.get(live.base_url + "/v1/questions", headers=headers)
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    other = {"Authorization": f"Bearer {keys[('acme', 'partner')]}"}
    assert httpx.get(live.base_url + "/v1/questions", headers=other).status_code == 200


def test_websocket_rate_limit_per_ip_and_key_without_pings(limited: tuple[LiveServer, dict[tuple[str, str], str]]) -> None:
    live, keys = limited
    headers = {"Authorization": f"Bearer {keys[('acme', 'partner')]}"}

    async def run() -> list[dict]:  # type: ignore[type-arg]
        out = []
        async with websockets.connect(live.ws_url, additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "start", "num_questions": 1, "max_followups": 0}))  # 1
            while json.loads(await ws.recv())["type"] != "question":
                pass
            for _ in range(10):  # keep-alives are not counted
                await ws.send(json.dumps({"type": "ping"}))
                out.append(json.loads(await ws.recv()))
            for _ in range(5):  # 2-5, then the sixth message of the minute
                await ws.send(json.dumps({"type": "answer.delta", "text": "x "}))
            out.append(json.loads(await ws.recv()))
        return out

    replies = asyncio.run(run())
    assert [m["type"] for m in replies[:10]] == ["pong"] * 10
    assert replies[10]["type"] == "error" and replies[10]["code"] == "rate_limited" and replies[10]["retry_after"] >= 1


def test_auth_off_is_the_local_admin_of_the_default_org(live_server: LiveServer) -> None:
    with Client(live_server.base_url) as c:
        made = c.create_interview(num_questions=1, candidate_ref="me")
        assert c.interview(made["session_id"])["org_id"] == "default"
        assert c.keys() == []  # the local admin may manage keys


def test_auth_off_refuses_a_non_loopback_bind(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="INTERVIEWER_AUTH=on"):
        create_app(make_settings(tmp_path, host="0.0.0.0"))
    create_app(make_settings(tmp_path, host="0.0.0.0", auth="on"))
    create_app(make_settings(tmp_path, host="::1"))
