"""Hostile input and vanishing clients: typed errors, nothing stored, the session goes on."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.websockets import WebSocketDisconnect

from interviewer.api.ws import SocketOutbox
from interviewer.client import interview
from interviewer.core.state import AnswerSubmitted, InterviewConfig, Phase
from interviewer.service import admin as svc_admin
from interviewer.service.auth import local_principal
from interviewer.service.interviews import new_session, plan_for
from interviewer.service.registry import SessionRegistry
from interviewer.wiring import build_services
from tests.api.authkit import Receiver
from tests.api.conftest import LiveServer, make_settings, serve
from tests.conftest import wait_for


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, encoder, bank) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path_factory.mktemp("hostile"), webhook_allow_private=True,
                             webhook_backoff_base=0.1)
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


async def test_deeply_nested_frames_get_a_typed_error_and_the_socket_goes_on(live: LiveServer) -> None:
    deep = "[" * 20_000 + "]" * 20_000
    objects = '{"a": ' * 900 + "1" + "}" * 900
    frames = [deep, '{"type": "start", "topics": ' + deep + "}", '{"type": ' + deep + "}",
              '{"type": "answer.delta", "text": "x", "extra": ' + objects + "}"]
    async with interview(live.ws_url) as ws:
        for frame in frames:
            await ws.conn.send(frame)
            err = await ws.recv()
            assert err["type"] == "error" and err["code"] == "invalid_message", err
        await ws.send("ping")
        assert (await ws.recv())["type"] == "pong"
        q = await ws.start(num_questions=1, max_followups=0)  # still a working socket
        assert q["type"] == "question"


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


class GoneSocket:
    """Starlette's WebSocket once its client has vanished: every send raises WebSocketDisconnect.

    A real socket hits this only in the instant between the client leaving and the server noticing,
    so the instant is made permanent here; everything behind SocketOutbox is real.
    """

    async def send_text(self, text: str) -> None:
        raise WebSocketDisconnect(code=1006)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        raise WebSocketDisconnect(code=1006)


async def test_a_client_gone_during_grading_skips_nothing(live: LiveServer) -> None:
    svc = live.services
    assert svc.admin is not None
    me = local_principal(svc.settings.default_org)
    receiver = Receiver()
    url = receiver.start()
    hook = await svc_admin.create_webhook(svc.admin, principal=me, url=url, allow_private=True,
                                          events=["grade.created", "interview.completed"])
    try:
        config = InterviewConfig(num_questions=1, max_followups=1)
        qid = svc.bank.all()[0].id
        plan = await plan_for(svc, me.org_id, config, question_ids=[qid])
        runner, _ = await new_session(svc, SessionRegistry(svc), principal=me, config=config, plan=plan,
                                      outbox=None)
        for text in ("I do not know, something with matrices.", "No idea either."):
            runner.outbox = SocketOutbox(GoneSocket())  # type: ignore[arg-type]
            await runner.handle(AnswerSubmitted(text, time.time()))  # main answer, then the follow-up
            assert await runner.wait_idle(60)
            assert runner.state.phase not in (Phase.GRADING, Phase.SELECTING)
        kinds = [m["type"] for m in await svc.store.messages_after(runner.session_id, 0)]
        assert kinds.count("grade") >= 2 and kinds[-1] == "summary"
        assert [m.get("kind") for m in await svc.store.messages_after(runner.session_id, 0)
                if m["type"] == "question"] == ["main", "followup"]  # the follow-up was still chosen
        wait_for(lambda: len(receiver.events()) >= 3)
        events = [e["type"] for e in receiver.events()]
        assert events.count("grade.created") == 2 and events[-1] == "interview.completed"
    finally:
        await svc_admin.delete_webhook(svc.admin, principal=me, webhook_id=hook.webhook_id)
        receiver.stop()


async def test_the_html_export_of_a_hostile_answer_is_an_inert_attachment(live: LiveServer) -> None:
    markup = '<script>alert(1)</script><img src=x onerror="alert(2)"> attention scales by sqrt(d_k)'
    async with interview(live.ws_url) as ws:
        await ws.start(num_questions=1, max_followups=0)
        await ws.answer(markup)
        await ws.recv_until("summary")
        sid = ws.session_id
    r = httpx.get(f"{live.base_url}/v1/interviews/{sid}/export", params={"format": "html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-disposition"] == f'attachment; filename="interview-{sid}.html"'
    assert r.headers["x-content-type-options"] == "nosniff"
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp
    assert "<script>" not in r.text and "&lt;script&gt;" in r.text
    for fmt in ("json", "csv", "pdf"):
        other = httpx.get(f"{live.base_url}/v1/interviews/{sid}/export", params={"format": fmt})
        assert other.headers["x-content-type-options"] == "nosniff", fmt


async def test_the_candidate_token_is_stored_only_as_its_hash(live: LiveServer) -> None:
    made = httpx.post(f"{live.base_url}/v1/interviews", json={"num_questions": 1}).json()
    sid, token = made["session_id"], made["candidate_token"]
    stored = await live.services.store.messages_after(sid, 0)
    assert stored and stored[0]["type"] == "session"
    assert token not in json.dumps(stored)  # the message log keeps no token (the session keeps a hash)
    async with interview(made["ws_url"]) as ws:  # the candidate joins: the replay has its token again
        await ws.join()
        session = next(m for m in ws.received if m["type"] == "session")
        assert session["resume_token"] == session["candidate_token"] == token
        last = ws.last_seq
    async with interview(live.ws_url) as ws:
        await ws.resume(sid, token, last_seq=0)
        replayed = await ws.recv_until("session")
        assert replayed["resume_token"] == token and ws.resume_token == token
        assert (await ws.recv_until("question"))["seq"] <= last
