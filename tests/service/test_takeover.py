"""A session taken over by another runner: the old socket is told and closed at once, not at its next commit.

Two runners stand for two instances: over one SQLite store with the in-memory events, and over a real
redis-server where each "instance" has its own Redis clients for the store and the events.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.events.redis_pubsub import RedisSessionEvents
from interviewer.adapters.store.sessions_redis import RedisSessionStore
from interviewer.core.state import AnswerSubmitted, InterviewConfig
from interviewer.service.claims import CLAIMED
from interviewer.service.container import Services
from interviewer.service.interviews import plan_for
from interviewer.service.sessions import SessionRunner
from interviewer.settings import Settings
from interviewer.wiring import build_services
from tests.conftest import REPO
from tests.factories import Sink

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def bank() -> YamlQuestionBank:
    return YamlQuestionBank.load([REPO])


@pytest.fixture(params=["memory", "redis"])
async def instances(
    request: pytest.FixtureRequest, tmp_path: Path, encoder: Any, bank: YamlQuestionBank
) -> AsyncIterator[tuple[Services, Services]]:
    """Services of instance A and of instance B, sharing the session store's data."""
    url = request.getfixturevalue("redis_server").url if request.param == "redis" else None
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", redis_url=url)  # type: ignore[call-arg]
    a = build_services(settings, encoder=encoder, bank=bank)
    if url is None:
        b = a  # one process: one store, one in-memory hub
    else:
        b = dataclasses.replace(a, store=RedisSessionStore.from_url(url),
                                events=RedisSessionEvents.from_url(url))
    yield a, b
    await a.aclose()
    if b is not a:  # B's own clients (it shares A's admin store, webhooks and encoder)
        await b.store.close()
        assert b.events is not None
        await b.events.close()


async def started(svc: Services) -> tuple[SessionRunner, Sink]:
    config = InterviewConfig(num_questions=2, max_followups=0)
    plan = await plan_for(svc, "default", config)
    runner, token = await SessionRunner.create(svc, config, plan, "default")
    out = Sink()
    await runner.begin(out, token)
    return runner, out


async def test_a_claim_on_another_instance_closes_the_old_socket_at_once(
    instances: tuple[Services, Services],
) -> None:
    svc_a, svc_b = instances
    a, out_a = await started(svc_a)
    assert out_a.types() == ["session", "question"]
    stored = await svc_b.store.get(a.session_id)
    assert stored is not None
    b, out_b = SessionRunner(svc_b, stored), Sink()
    await b.resume(out_b, 0, token="the-resume-token")
    # A does nothing: the notice alone closes its socket, with the error first
    await asyncio.wait_for(out_a.closed.wait(), 5)
    assert out_a.code == 4409
    assert out_a.sent[-1]["type"] == "error" and out_a.sent[-1]["code"] == "superseded"
    assert a.superseded and a.outbox is None
    # B replayed the log and carries on
    assert out_b.types() == ["session", "question"]
    question = svc_b.bank.get(out_b.sent[1]["question_id"])
    await b.handle(AnswerSubmitted(question.sample_answer, 1.0))
    assert "answer.accepted" in out_b.types()
    await b.wait_idle(60)
    assert "grade" in out_b.types()
    assert not out_b.closed.is_set()
    assert out_a.types().count("error") == 1  # A's socket heard nothing more


async def test_a_stale_claim_notice_does_not_close_the_holder(
    instances: tuple[Services, Services],
) -> None:
    svc_a, svc_b = instances
    a, out_a = await started(svc_a)
    assert svc_b.events is not None
    # a notice from a holder that no longer holds it (its claim was older than A's)
    await svc_b.events.publish(a.session_id, {"type": CLAIMED, "owner": "elsewhere:old"})
    await asyncio.sleep(0.5)
    assert not out_a.closed.is_set() and a.outbox is out_a and not a.superseded
    question = svc_a.bank.get(out_a.sent[1]["question_id"])
    await a.handle(AnswerSubmitted(question.sample_answer, 1.0))  # A still commits
    assert "answer.accepted" in out_a.types()
    await a.wait_idle(60)
    a.outbox = None  # the socket goes away: its claim watch stops
