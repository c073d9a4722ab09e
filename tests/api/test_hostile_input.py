"""Hostile input over a real socket and real HTTP: typed errors, nothing stored, the session goes on."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from interviewer.client import interview
from interviewer.wiring import build_services
from tests.api.conftest import LiveServer, make_settings, serve


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, encoder, bank) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path_factory.mktemp("hostile"))
    yield from serve(build_services(settings, encoder=encoder, bank=bank))


async def test_lone_surrogate_in_an_answer_is_refused_and_the_session_goes_on(live: LiveServer) -> None:
    async with interview(live.ws_url) as ws:
        q = await ws.start(num_questions=1, max_followups=0)
        await ws.send("answer.delta", text="Softmax saturates \ud800 when")  # sent as "\ud800" in JSON
        err = await ws.recv_until("error")
        assert err["code"] == "invalid_text" and err["message"].startswith("text:")
        await ws.send("answer.submit", text="Scores \udfff grow")
        assert (await ws.recv_until("error"))["code"] == "invalid_text"
        sample = live.services.bank.get(q["question_id"]).sample_answer
        grade = await ws.answer(sample)  # the same socket and session keep working
        assert grade["question_id"] == q["question_id"] and grade["criteria"]
        await ws.recv_until("summary")
        sid = ws.session_id
    r = httpx.get(f"{live.base_url}/v1/interviews/{sid}")
    assert r.status_code == 200
    assert r.json()["turns"][0]["answer"] == sample  # nothing of the refused text was stored


def test_lone_surrogates_and_invalid_utf8_in_rest_bodies_are_refused(live: LiveServer) -> None:
    qid = live.services.bank.all()[0].id
    before = httpx.get(f"{live.base_url}/v1/interviews").json()["items"]
    bodies = [
        b'{"question_id": "%s", "answer": "attention \\ud800 scales"}' % qid.encode(),
        b'{"question_id": "%s", "answer": "attention \xed\xa0\x80 scales"}' % qid.encode(),
        b'{"question_id": "%s", "answer": "attention \xff scales"}' % qid.encode(),
    ]
    for body in bodies:
        r = httpx.post(f"{live.base_url}/v1/grade", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 422, body
        assert r.json()["error"]["code"] == "invalid_text"
    r = httpx.post(f"{live.base_url}/v1/interviews", content=json.dumps(
        {"num_questions": 1, "candidate_ref": "cand-\udc80"}), headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_text"
    assert httpx.get(f"{live.base_url}/v1/interviews").json()["items"] == before  # nothing created
    for ok in (b'{"question_id": "%s", "answer": "attention \\ud83d\\ude00 scales"}' % qid.encode(),
               json.dumps({"question_id": qid, "answer": "attention \U0001f600 scales"},
                          ensure_ascii=False).encode()):
        r = httpx.post(f"{live.base_url}/v1/grade", content=ok, headers={"Content-Type": "application/json"})
        assert r.status_code == 200, r.text  # an astral character, escaped as a surrogate pair or not, is fine
