"""How sandboxes are started, so that the server keeps serving while they run (issue 19).

uvloop's own subprocess spawn forks the whole server and blocks the loop until the child execs;
the runner starts bwrap with vfork instead. Seen without timing: after a fork every page the parent
had written is write-protected, so writing them again costs one page fault each; after a vfork none.
Then what the sandbox's processes are given: the OOM killer's first place, and the configured cgroup.
"""

from __future__ import annotations

import asyncio
import mmap
import os
import resource
import shutil
from pathlib import Path

import pytest
import uvloop

from interviewer.adapters.sandbox.bwrap import BwrapRunner
from interviewer.core.code import CodeCase, CodeLimits, RunStatus
from interviewer.errors import SandboxUnavailable

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


async def test_the_code_and_its_children_are_the_oom_killers_first_choice(runner: BwrapRunner) -> None:
    code = ("import subprocess\ndef f(x):\n    own = open('/proc/self/oom_score_adj').read().strip()\n"
            "    child = subprocess.run(['cat', '/proc/self/oom_score_adj'], capture_output=True, text=True)\n"
            "    try:\n        open('/proc/self/oom_score_adj', 'w').write('0')\n        lowered = 'lowered'\n"
            "    except OSError as exc:\n        lowered = type(exc).__name__\n"
            "    return own, child.stdout.strip(), lowered\n")
    result = await runner.run(code=code, entry="f", cases=[CodeCase("public", (1,))], limits=CodeLimits())
    assert result.status is RunStatus.PASSED
    own, child, lowered = result.cases[0].value
    assert (own, child) == ("1000", "1000")
    if os.geteuid() == 0:  # set by root outside the sandbox: the code's uid cannot take it back
        assert lowered == "PermissionError"


def _new_cgroup(name: str) -> Path | None:
    """A fresh cgroup (v1 cpu hierarchy or v2), or None where this process cannot make one."""
    for root in (Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup")):
        if (root / "cgroup.procs").is_file():
            try:
                (root / name).mkdir()
            except OSError:
                continue
            return root / name
    return None


def _cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # it has exited since the group was read
        return b""


async def test_every_sandbox_process_joins_the_configured_cgroup() -> None:
    group = _new_cgroup(f"interviewer-test-{os.getpid()}")
    if group is None:
        pytest.skip("no writable cgroup hierarchy here")
    pool = BwrapRunner(pool_size=1, queue_limit=1, cgroup=str(group))
    try:
        result = await pool.run(code="import subprocess\ndef f(x):\n    return subprocess.run(['true']).returncode\n",
                                entry="f", cases=[CodeCase("public", (1,))], limits=CodeLimits())
        assert result.status is RunStatus.PASSED
        for _ in range(600):  # the replacement sandbox, started during the run, waits in the group
            if any(b"harness.py" in _cmdline(pid) for pid in (group / "cgroup.procs").read_text().split()):
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail(f"no sandbox process in {group}")
    finally:
        await pool.close()
        for _ in range(100):  # the killed processes leave the group once reaped
            try:
                group.rmdir()
                break
            except OSError:
                await asyncio.sleep(0.05)


async def test_a_cgroup_that_cannot_be_joined_starts_no_sandbox(tmp_path: Path) -> None:
    pool = BwrapRunner(pool_size=1, queue_limit=1, cgroup=str(tmp_path / "missing"))
    with pytest.raises(SandboxUnavailable):
        await pool.run(code="def f(x):\n    return x\n", entry="f", cases=[CodeCase("public", (1,))],
                       limits=CodeLimits())
    await pool.close()
