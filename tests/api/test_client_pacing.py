"""The Python client keeps under the message limits its `session` announces, and a refused frame
is an error, never a silent wait for a grade that will not come (issue 17's intermittent hang)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from interviewer.client import SocketError, interview
from interviewer.wiring import build_services
from tests.api.conftest import LiveServer, make_settings, serve


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory, encoder, bank) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """A server whose per-connection budget (a burst of 5) is far below one streamed answer."""
    root = tmp_path_factory.mktemp("client-pacing")
    svc = build_services(make_settings(root, ws_rate_burst=5, ws_rate_per_second=20.0),
                         encoder=encoder, bank=bank)
    yield from serve(svc)


async def test_a_streamed_answer_over_the_burst_is_paced_not_refused(tight: LiveServer) -> None:
    async with interview(tight.ws_url) as ws:
        q = await ws.start(num_questions=1, max_followups=0)
        assert ws.received[0]["limits"]["rate_burst"] == 5
        text = tight.services.bank.get(q["question_id"]).sample_answer
        text = " ".join([text] * (1 + 400 // len(text)))  # at least ten 40-character deltas
        grade = await ws.answer(text)
    assert grade["question_id"] == q["question_id"]
    assert [m for m in ws.received if m["type"] == "error"] == []
    accepted = next(m for m in ws.received if m["type"] == "answer.accepted")
    assert accepted["chars"] == len(text)  # every delta arrived


async def test_a_refused_submit_raises_instead_of_waiting_for_a_grade(tight: LiveServer) -> None:
    async with interview(tight.ws_url) as ws:
        await ws.start(num_questions=1, max_followups=0)
        with pytest.raises(SocketError) as refused:
            await ws.answer("   ")
    assert refused.value.code == "empty_answer"
