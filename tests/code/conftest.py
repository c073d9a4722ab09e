"""A real bubblewrap sandbox pool for the coding-question tests."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import pytest

from interviewer.adapters.sandbox.bwrap import BwrapRunner


@pytest.fixture
async def runner() -> AsyncIterator[BwrapRunner]:
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap is not installed: run scripts/system-deps.sh")
    pool = BwrapRunner(pool_size=2, queue_limit=4)
    await pool.start()
    try:
        yield pool
    finally:
        await pool.close()
