"""Webhooks against a real receiver on 127.0.0.1: signatures, retries with backoff, order, the log."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from interviewer.client import Client, verify_signature
from interviewer.service.webhooks import sign
from interviewer.wiring import build_services
from tests.api.authkit import Receiver, completed_interview, make_keys
from tests.api.conftest import LiveServer, make_settings, serve
from tests.conftest import wait_for

ALL = ["interview.completed", "grade.created", "grade.overridden"]


@dataclass
class Env:
    live: LiveServer
    keys: dict[tuple[str, str], str]

    def client(self, org: str = "acme", role: str = "partner") -> Client:
        return Client(self.live.base_url, api_key=self.keys[(org, role)])


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, encoder, bank) -> Iterator[Env]:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path_factory.mktemp("hooks"), auth="on", rate_limit="", rate_limit_ip="", rate_limit_anon="",
                             ws_rate_limit="", webhook_backoff_base=0.2, webhook_max_attempts=4,
                             webhook_allow_private=True)
    svc = build_services(settings, encoder=encoder, bank=bank)
    keys = make_keys(svc)
    for live in serve(svc):
        yield Env(live, keys)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


def test_signature_roundtrip_and_tampering() -> None:
    body = b'{"type":"grade.created","data":{}}'
    now = int(time.time())
    header = sign("whsec_x", body, now)
    assert header.startswith(f"t={now},v1=") and verify_signature("whsec_x", header, body)
    assert not verify_signature("whsec_y", header, body)
    assert not verify_signature("whsec_x", header, body + b" ")
    assert not verify_signature("whsec_x", sign("whsec_x", body, now - 3600), body)
    assert not verify_signature("whsec_x", "garbage", body)


def test_signed_events_retried_in_order_and_logged(env: Env, receiver: Receiver) -> None:
    receiver.fail = 2
    url = receiver.start()
    bank = env.live.services.bank
    qids = [q.id for q in bank.all()[:2]]
    with env.client() as c:
        hook = c.create_webhook(url, ALL)
        assert hook["secret"].startswith("whsec_") and "secret" not in c.webhooks()[0]
    started = time.monotonic()
    made = completed_interview(env.live.base_url, env.keys[("acme", "partner")], env.live.services,
                               question_ids=qids)
    finished = time.monotonic() - started
    # two failures with a 0.2 s base back off at least 0.2 + 0.4 s: grading did not wait for them
    wait_for(lambda: len(receiver.received) >= 3)
    assert receiver.attempts == len(receiver.received) + 2
    for headers, body in receiver.received:
        assert verify_signature(hook["secret"], headers["interviewer-signature"], body)
        assert headers["content-type"] == "application/json"
    events = receiver.events()
    assert [e["type"] for e in events] == ["grade.created", "grade.created", "interview.completed"]
    assert [e["data"]["grade"]["question_id"] for e in events[:2]] == qids
    seqs = [e["data"]["grade"]["seq"] for e in events[:2]]
    assert seqs == sorted(seqs)
    done = events[2]["data"]
    assert done["session_id"] == made["session_id"] and 0 <= done["summary"]["score"] <= 100
    assert len({e["id"] for e in events}) == 3
    with env.client() as c:
        log = c.deliveries(hook["id"])
    assert [d["status"] for d in log] == ["delivered"] * 3
    first = min(log, key=lambda d: d["created_at"])
    assert first["attempts"] == 3 and first["last_status_code"] == 200
    assert finished < 30


def test_override_sends_grade_overridden(env: Env, receiver: Receiver) -> None:
    url = receiver.start()
    qid = env.live.services.bank.all()[0].id
    made = completed_interview(env.live.base_url, env.keys[("acme", "partner")], env.live.services,
                               question_ids=[qid])
    with env.client() as c:
        hook = c.create_webhook(url, ["grade.overridden"])
    with env.client(role="recruiter") as rec:
        rec.override(made["session_id"], question_id=qid, score=12, reason="panel decision")
    wait_for(lambda: len(receiver.received) >= 1)
    (headers, body), = receiver.received
    assert verify_signature(hook["secret"], headers["interviewer-signature"], body)
    data = receiver.events()[0]["data"]
    assert data["reason"] == "panel decision" and data["after"]["score"] == 12
    assert data["session_id"] == made["session_id"] and data["grade"]["overridden"]


def test_test_send_and_a_failing_endpoint(env: Env, receiver: Receiver) -> None:
    url = receiver.start()
    with env.client() as c:
        hook = c.create_webhook(url, ["interview.completed"])
        d = c.test_webhook(hook["id"])
        assert d["status"] == "delivered" and d["event_type"] == "webhook.test"
        (headers, body), = receiver.received
        assert verify_signature(hook["secret"], headers["interviewer-signature"], body)
        dead = c.create_webhook("http://127.0.0.1:9/nothing-listens", ["interview.completed"])
        failed = c.test_webhook(dead["id"])
        assert failed["status"] == "failed" and failed["last_error"]
        c.delete_webhook(dead["id"])
    # an always-failing endpoint is tried webhook_max_attempts times, then marked failed
    receiver.fail = 10**6
    qid = env.live.services.bank.all()[0].id
    completed_interview(env.live.base_url, env.keys[("acme", "partner")], env.live.services, question_ids=[qid])
    with env.client() as c:
        wait_for(lambda: any(x["status"] == "failed" and x["event_type"] == "interview.completed"
                             for x in c.deliveries(hook["id"])))
        failed_log = [x for x in c.deliveries(hook["id"]) if x["event_type"] == "interview.completed"]
    assert failed_log[0]["attempts"] == 4 and failed_log[0]["last_status_code"] == 500


def test_other_org_gets_no_events(env: Env, receiver: Receiver) -> None:
    url = receiver.start()
    with env.client("beta") as c:
        c.create_webhook(url, ALL)
    qid = env.live.services.bank.all()[0].id
    completed_interview(env.live.base_url, env.keys[("acme", "partner")], env.live.services, question_ids=[qid])
    time.sleep(1.0)
    assert receiver.received == []
