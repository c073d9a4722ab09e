"""A partner's own question: its rubric is derived off the event loop, once, then cached."""

from __future__ import annotations

import asyncio
import time

from interviewer.service.container import Services
from interviewer.service.grading import adhoc_question

SAMPLE = (
    "A write-ahead log records every change durably before the data pages are modified. After a crash "
    "the database replays the log to redo committed transactions and undo unfinished ones. Sequential "
    "appends to the log are much faster than random page writes, so commits stay cheap, and the pages "
    "themselves can be flushed lazily by checkpoints that bound how much of the log must be replayed."
)


async def test_deriving_a_rubric_does_not_block_the_event_loop(services: Services) -> None:
    q = adhoc_question("Why do databases use write-ahead logging?", SAMPLE)
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            await asyncio.sleep(0.002)
            ticks += 1

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    t0 = time.perf_counter()
    rubric = await services.rubrics.get_async(q)
    took = time.perf_counter() - t0
    seen = ticks
    done = True
    await task
    assert len(rubric.criteria) >= 2
    # The loop kept running while the encoder worked (on the loop it would tick 0 times).
    assert took > 0.01 and seen >= 2, (took, seen)
    assert await services.rubrics.get_async(q) is rubric  # cached: no second derivation
    assert services.rubrics.get(q) is rubric
