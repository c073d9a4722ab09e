"""A full grading queue: answers wait their turn and their candidates get `grading.queued`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AsyncExitStack

import pytest

from interviewer.client import interview
from interviewer.wiring import build_services
from tests.api.conftest import LiveServer, make_settings, serve


@pytest.fixture
def one_slot(tmp_path, encoder, bank) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    svc = build_services(make_settings(tmp_path, grading_slots=1), encoder=encoder, bank=bank)
    yield from serve(svc)


async def test_three_answers_at_once_on_one_grading_slot(one_slot: LiveServer) -> None:
    q = one_slot.services.bank.all()[0]
    async with AsyncExitStack() as stack:
        sockets = [await stack.enter_async_context(interview(one_slot.ws_url)) for _ in range(3)]
        for ws in sockets:
            await ws.start(question_ids=[q.id], max_followups=0)
        for ws in sockets:  # submitted together: one is graded, two wait
            await ws.send("answer.submit", text=q.sample_answer)
        grades = await asyncio.gather(*(ws.recv_until("grade") for ws in sockets))
    assert all(g["question_id"] == q.id for g in grades)
    queued = [[m for m in ws.received if m["type"] == "grading.queued"] for ws in sockets]
    assert sorted(len(x) for x in queued) == [0, 1, 1]
    told = sorted((x[0]["position"], x[0]["eta_s"]) for x in queued if x)
    assert [p for p, _ in told] == [1, 2]
    assert 0 < told[0][1] <= told[1][1]
    for ws, x in zip(sockets, queued, strict=True):
        if x:  # the notice comes before the grade's feedback, with the turn it is about
            types = [m["type"] for m in ws.received]
            assert types.index("grading.queued") < types.index("grade")
            assert x[0]["turn"] == 0 and x[0]["question_id"] == q.id and x[0]["seq"] > 0
