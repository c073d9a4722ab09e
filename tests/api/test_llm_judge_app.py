"""The app configured with an LLM judge, against the fake OpenAI-compatible server (litellm runs for real)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from interviewer.client import Client, interview
from interviewer.core.judging import MIN_QUOTE_WORDS
from interviewer.service.codec import state_from_dict
from interviewer.wiring import build_services
from tests.api.conftest import LiveServer, make_settings, serve
from tests.fakes.openai_server import FakeOpenAI, Reply


@pytest.fixture
def llm_server(tmp_path: Path, encoder, bank, fake_openai: FakeOpenAI) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    settings = make_settings(
        tmp_path, judge_model="openai/fake-judge", judge_api_base=fake_openai.api_base,
        judge_api_key="test", judge_timeout=1.0, judge_max_retries=1,
    )
    yield from serve(build_services(settings, encoder=encoder, bank=bank))


def verdicts_for(svc: Any, question_id: str, answer: str) -> dict[str, Any]:
    rubric = svc.bank.get(question_id).rubric
    # The first piece long enough to be evidence: a quote under MIN_QUOTE_WORDS words is
    # downgraded, and two sample answers open with "Not necessarily."
    quote = next(p for p in answer.split(".") if len(p.split()) >= MIN_QUOTE_WORDS).strip()
    return {
        "feedback": "Clear on the main point; say more about the rest.",
        "criteria": [
            {"id": c.id, "verdict": "met" if i == 0 else "missed", "quote": quote if i == 0 else "",
             "rationale": "checked"}
            for i, c in enumerate(rubric.criteria)
        ],
    }


async def test_llm_grade_over_websocket_is_stored_with_provenance(
    llm_server: LiveServer, fake_openai: FakeOpenAI
) -> None:
    svc = llm_server.services
    async with interview(llm_server.ws_url) as ws:
        q = await ws.start(num_questions=1, max_followups=0)
        answer = svc.bank.get(q["question_id"]).sample_answer
        fake_openai.default = Reply.ok(verdicts_for(svc, q["question_id"], answer))
        grade = await ws.answer(answer)
        assert grade["provenance"]["judge"] == "llm"
        assert grade["provenance"]["model"] == "openai/fake-judge"
        assert not grade["provenance"]["fallback_used"]
        assert grade["criteria"][0]["verdict"] == "met"
        assert grade["criteria"][0]["evidence"]["quote"] in answer
        deltas = [m["text"] for m in ws.received if m["type"] == "feedback.delta"]
        assert "".join(deltas) == grade["feedback"]
        await ws.recv_until("summary")
    stored = await svc.store.get(ws.session_id)  # type: ignore[arg-type]
    assert stored is not None
    turn = state_from_dict(stored.state).turns[0]
    assert turn.answer == answer and turn.grade is not None
    assert turn.grade.provenance is not None and turn.grade.provenance.judge == "llm"


@pytest.mark.parametrize("failure", [
    [Reply.status(500)] * 4,
    [Reply.timeout(5.0)] * 4,
    [Reply.text("this is not json")] * 4,
    [Reply.status(429)] * 4,
])
async def test_failing_provider_falls_back_to_offline(
    llm_server: LiveServer, fake_openai: FakeOpenAI, failure: list[Reply]
) -> None:
    svc = llm_server.services
    fake_openai.script(failure)
    fake_openai.default = Reply.status(500)
    async with interview(llm_server.ws_url) as ws:
        q = await ws.start(num_questions=1, max_followups=0)
        answer = svc.bank.get(q["question_id"]).sample_answer
        grade = await ws.answer(answer, stream=False)
        assert grade["provenance"]["fallback_used"] is True
        assert grade["provenance"]["judge"] == "offline"
        assert grade["provenance"]["fallback_reason"]
        assert grade["needs_review"] is True  # graded by the fallback judge: provisional
        assert 0 <= grade["score"] <= 100
    stored = await svc.store.get(ws.session_id)  # type: ignore[arg-type]
    assert stored is not None
    turn = state_from_dict(stored.state).turns[0]
    assert turn.answer == answer
    assert turn.grade is not None and turn.grade.provenance is not None
    assert turn.grade.provenance.fallback_used


def test_rest_grade_drops_quotes_not_in_answer(llm_server: LiveServer, fake_openai: FakeOpenAI) -> None:
    svc = llm_server.services
    q = svc.bank.all()[0]
    answer = q.sample_answer
    payload = verdicts_for(svc, q.id, answer)
    payload["criteria"][0]["quote"] = "a sentence the candidate never wrote"
    fake_openai.default = Reply.ok(payload)
    with Client(llm_server.base_url) as api:
        grade = api.grade(answer, question_id=q.id)
    first = grade["criteria"][0]
    assert first["verdict"] == "partial" and first["evidence"] is None
    assert "quotes_dropped" in grade["flags"]


def test_the_fake_verdicts_quote_evidence_for_every_bank_question() -> None:
    """The question is drawn at random above: every one of them must get a quote long enough
    to stand as evidence, or "met" is downgraded and the test fails one run in fifty."""
    from types import SimpleNamespace

    from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
    from interviewer.settings import Settings

    bank = YamlQuestionBank.load(Settings(_env_file=None).bank_roots)  # type: ignore[call-arg]
    for q in bank.all():
        quote = verdicts_for(SimpleNamespace(bank=bank), q.id, q.sample_answer)["criteria"][0]["quote"]
        assert len(quote.split()) >= MIN_QUOTE_WORDS and quote in q.sample_answer, q.id
