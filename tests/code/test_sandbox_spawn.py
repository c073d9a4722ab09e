"""How sandboxes are started under uvloop, the server's event loop (issue 19: pings during runs).

uvloop's own subprocess spawn forks the whole server and blocks the loop until the child execs;
the runner starts bwrap with vfork instead. Seen without timing: after a fork every page the parent
had written is write-protected, so writing them again costs one page fault each; after a vfork none.
"""

from __future__ import annotations

import asyncio
import mmap
import resource
import shutil

import pytest
import uvloop

from interviewer.adapters.sandbox.bwrap import BwrapRunner
from interviewer.core.code import CodeCase, CodeLimits, RunStatus

PAGES = 8192  # 32 MiB of 4 KiB pages
PAGE = mmap.PAGESIZE


def _touch(buf: mmap.mmap) -> int:
    """Write one byte in every page; the page faults that took."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for i in range(0, PAGES * PAGE, PAGE):
        buf[i] = 1
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


async def _faults_after_uvloop_spawn(buf: mmap.mmap) -> int:
    proc = await asyncio.create_subprocess_exec("true")
    await proc.wait()
    return _touch(buf)


async def _faults_after_sandbox_runs(buf: mmap.mmap) -> int:
    pool = BwrapRunner(pool_size=1, queue_limit=1)
    try:
        for _ in range(2):  # each run takes a warm sandbox and starts its replacement
            result = await pool.run(code="def f(x):\n    return x\n", entry="f",
                                    cases=[CodeCase("public", (1,))], limits=CodeLimits())
            assert result.status is RunStatus.PASSED
        return _touch(buf)  # the replacement sandboxes were started while the runs went on
    finally:
        await pool.close()


def test_starting_sandboxes_under_uvloop_does_not_fork_the_server() -> None:
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap is not installed: run scripts/system-deps.sh")
    buf = mmap.mmap(-1, PAGES * PAGE, flags=mmap.MAP_PRIVATE)  # private: copied on write after a fork
    buf.madvise(mmap.MADV_NOHUGEPAGE)  # 4 KiB pages: one fault per page written
    _touch(buf)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        # the measurement sees a fork: uvloop's spawn write-protects every page
        assert runner.run(_faults_after_uvloop_spawn(buf)) >= PAGES
        assert _touch(buf) < PAGES // 8  # and without a spawn the pages stay writable
        assert runner.run(_faults_after_sandbox_runs(buf)) < PAGES // 8
