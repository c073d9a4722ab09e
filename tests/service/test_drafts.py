"""Typing is not a write per keystroke: `answer.delta` drafts are written to the store at most every
DRAFT_SAVE_SECONDS (and with any other write), a submitted answer always before it is acknowledged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.core import interview
from interviewer.core.state import AnswerDelta, AnswerSubmitted, InterviewConfig, PlannedQuestion
from interviewer.service.codec import state_from_dict
from interviewer.service.container import Services
from interviewer.service.interviews import plan_for
from interviewer.service.sessions import DRAFT_SAVE_SECONDS, SessionRunner
from interviewer.settings import Settings
from interviewer.wiring import build_services
from tests.conftest import REPO
from tests.factories import Sink


@pytest.fixture
async def svc(tmp_path: Path, encoder: Any) -> AsyncIterator[Services]:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    s = build_services(settings, encoder=encoder, bank=YamlQuestionBank.load([REPO]))
    yield s
    await s.aclose()


async def stored_draft(svc: Services, session_id: str) -> str:
    stored = await svc.store.get(session_id)
    assert stored is not None
    turn = state_from_dict(stored.state).current
    assert turn is not None
    return turn.draft


async def started(svc: Services) -> tuple[SessionRunner, Sink]:
    config = InterviewConfig(num_questions=1, max_followups=0)
    runner, token = await SessionRunner.create(svc, config, await plan_for(svc, "default", config),
                                               "default")
    out = Sink()
    await runner.begin(out, token)
    return runner, out


@pytest.mark.asyncio
async def test_a_burst_of_deltas_is_written_once_after_the_interval(svc: Services) -> None:
    runner, _ = await started(svc)
    pieces = [f"word{i} " for i in range(40)]
    for p in pieces:
        await runner.handle(AnswerDelta(p, 1.0))
    full = "".join(pieces)
    assert runner.state.current is not None and runner.state.current.draft == full
    # not one write per frame: right after the burst the store does not hold the whole draft yet
    assert await stored_draft(svc, runner.session_id) != full
    for _ in range(int(10 * (DRAFT_SAVE_SECONDS + 10))):  # then it is written without more typing
        if await stored_draft(svc, runner.session_id) == full:
            break
        await asyncio.sleep(0.1)
    assert await stored_draft(svc, runner.session_id) == full


@pytest.mark.asyncio
async def test_a_submit_after_unwritten_deltas_grades_the_whole_draft(svc: Services) -> None:
    runner, out = await started(svc)
    for p in ("Attention ", "weights ", "come from a softmax."):
        await runner.handle(AnswerDelta(p, 1.0))
    await runner.handle(AnswerSubmitted(None, 2.0))
    accepted = next(m for m in out.sent if m["type"] == "answer.accepted")
    assert accepted["chars"] == len("Attention weights come from a softmax.")
    stored = await svc.store.get(runner.session_id)
    assert stored is not None
    turn = state_from_dict(stored.state).turns[0]
    assert turn.answer == "Attention weights come from a softmax."
    await runner.wait_idle(60)


def test_with_draft_restores_only_an_open_question() -> None:
    config = InterviewConfig(num_questions=1, max_followups=0)
    plan = (PlannedQuestion("q1", "a question?", "architecture", "easy", ()),)
    state, _ = interview.start("s", config, plan, 0.0)
    again = interview.with_draft(state, "typed")
    assert again.current is not None and again.current.draft == "typed"
    assert interview.with_draft(again, "typed") is again
    answered, _ = interview.step(again, AnswerSubmitted(None, 1.0))
    assert interview.with_draft(answered, "other") is answered  # nothing open: unchanged
