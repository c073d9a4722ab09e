"""The grading gate: slots, first-come order, queue positions and cancelled waiters."""

from __future__ import annotations

import asyncio

import pytest

from interviewer.service.gate import GradingGate


async def test_one_slot_queues_in_order_and_reports_positions() -> None:
    gate = GradingGate(1, initial_seconds=3.0)
    order: list[str] = []
    told: dict[str, tuple[int, float]] = {}
    release = asyncio.Event()

    async def grade(name: str) -> None:
        async def queued(position: int, eta: float) -> None:
            told[name] = (position, eta)

        async with gate.slot(queued):
            order.append(name)
            await release.wait()

    tasks = [asyncio.create_task(grade(n)) for n in ("a", "b", "c")]
    await asyncio.sleep(0.01)
    assert order == ["a"] and gate.active == 1 and gate.waiting == 2
    assert told == {"b": (1, 3.0), "c": (2, 6.0)}
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["a", "b", "c"] and gate.active == 0 and gate.waiting == 0


async def test_two_slots_and_a_cancelled_waiter_keeps_no_slot() -> None:
    gate = GradingGate(2)
    hold = asyncio.Event()
    started: list[str] = []

    async def grade(name: str) -> None:
        async with gate.slot():
            started.append(name)
            await hold.wait()

    a, b, c, d = (asyncio.create_task(grade(n)) for n in "abcd")
    await asyncio.sleep(0.01)
    assert started == ["a", "b"] and gate.waiting == 2
    assert gate.eta(1) == gate.eta(2) < gate.eta(3)
    c.cancel()
    with pytest.raises(asyncio.CancelledError):
        await c
    hold.set()
    await asyncio.gather(a, b, d)
    assert started == ["a", "b", "d"] and gate.active == 0


def test_a_gate_needs_a_slot() -> None:
    with pytest.raises(ValueError):
        GradingGate(0)
