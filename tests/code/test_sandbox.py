"""Hostile submissions: each ends within its limit with a typed result, and the server loop stays live."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest

from interviewer.adapters.sandbox.bwrap import BwrapRunner
from interviewer.core.code import CodeCase, CodeLimits, RunResult, RunStatus
from interviewer.errors import Busy, CodeTooLarge, SandboxUnavailable

LIMITS = CodeLimits(cpu_seconds=1.0, wall_seconds=6.0, memory_bytes=256 * 1024 * 1024,
                    processes=8, output_bytes=16 * 1024)
ONE = (CodeCase("g", (np.arange(3.0),)),)


async def run(runner: BwrapRunner, code: str, limits: CodeLimits = LIMITS) -> RunResult:
    started = time.perf_counter()
    result = await runner.run(code=code, entry="f", cases=ONE, limits=limits)
    assert time.perf_counter() - started < limits.wall_seconds + 3
    return result


async def test_a_correct_function_passes_and_returns_arrays(runner: BwrapRunner) -> None:
    result = await run(runner, "def f(x):\n    print('hello')\n    return x * 2, {'n': 1}\n")
    assert result.status is RunStatus.PASSED
    value = result.cases[0].value
    np.testing.assert_array_equal(value[0], [0.0, 2.0, 4.0])
    assert value[1] == {"n": 1}
    assert result.output == "hello\n"


async def test_an_exception_is_a_failed_case_with_its_type(runner: BwrapRunner) -> None:
    result = await run(runner, "def f(x):\n    raise ValueError('nope')\n")
    assert result.status is RunStatus.FAILED
    assert result.cases[0].error == "ValueError: nope"


async def test_syntax_error_and_missing_entry_are_errors(runner: BwrapRunner) -> None:
    assert (await run(runner, "def f(:\n")).status is RunStatus.ERROR
    missing = await run(runner, "def g(x):\n    return x\n")
    assert missing.status is RunStatus.ERROR and "'f'" in missing.detail


async def test_infinite_loop_hits_the_cpu_limit(runner: BwrapRunner) -> None:
    result = await run(runner, "def f(x):\n    while True:\n        pass\n")
    assert result.status is RunStatus.TIMEOUT


async def test_sleeping_forever_hits_the_wall_limit(runner: BwrapRunner) -> None:
    limits = CodeLimits(cpu_seconds=1.0, wall_seconds=1.5)
    result = await run(runner, "import time\ndef f(x):\n    time.sleep(60)\n", limits)
    assert result.status is RunStatus.TIMEOUT and "wall" in result.detail


async def test_fork_bomb_is_stopped_by_the_process_limit(runner: BwrapRunner) -> None:
    result = await run(runner, "import os\ndef f(x):\n    while True:\n        os.fork()\n")
    assert result.status is RunStatus.FAILED
    assert result.cases[0].error is not None and "BlockingIOError" in result.cases[0].error


async def test_memory_bomb_hits_the_memory_limit(runner: BwrapRunner) -> None:
    result = await run(runner, "def f(x):\n    return bytearray(2 ** 31)\n")
    assert result.status is RunStatus.MEMORY
    grow = await run(runner, "def f(x):\n    a = []\n    while True:\n        a.append(' ' * 10**6)\n")
    assert grow.status is RunStatus.MEMORY


async def test_a_gigabyte_of_output_hits_the_output_limit(runner: BwrapRunner) -> None:
    code = "import sys\ndef f(x):\n    for _ in range(10**6):\n        sys.stdout.write('x' * 1000)\n"
    result = await run(runner, code)
    assert result.status is RunStatus.OUTPUT_LIMIT
    assert len(result.output) == LIMITS.output_bytes


async def test_no_network(runner: BwrapRunner) -> None:
    code = ("import socket\ndef f(x):\n    socket.create_connection(('1.1.1.1', 80), timeout=2)\n")
    result = await run(runner, code)
    assert result.status is RunStatus.FAILED
    assert result.cases[0].error is not None and "Network is unreachable" in result.cases[0].error
    # not even loopback: the sandbox has its own empty network namespace
    code = ("import socket\ndef f(x):\n    return socket.if_nameindex()\n")
    assert [name for _, name in (await run(runner, code)).cases[0].value] == ["lo"]


async def test_host_files_are_not_there(runner: BwrapRunner, tmp_path: Path) -> None:
    secret = tmp_path / "data" / "interviewer.db"
    secret.parent.mkdir()
    secret.write_text("secret")
    for path in ("/etc/passwd", str(secret), str(Path(__file__).resolve())):
        result = await run(runner, f"def f(x):\n    return open({path!r}).read()\n")
        assert result.status is RunStatus.FAILED, path
        assert result.cases[0].error is not None and "FileNotFoundError" in result.cases[0].error


async def test_writes_only_in_the_private_tmp(runner: BwrapRunner, tmp_path: Path) -> None:
    code = "def f(x):\n    open('/usr/lib/evil', 'w')\n"
    result = await run(runner, code)
    assert result.cases[0].error is not None and "Read-only file system" in result.cases[0].error
    target = tmp_path / "escape"
    code = f"def f(x):\n    open({str(target)!r}, 'w').write('x')\n"
    result = await run(runner, code)
    assert result.status is RunStatus.FAILED and not target.exists()
    ok = await run(runner, "def f(x):\n    open('/tmp/a', 'w').write('x')\n    return open('/tmp/a').read()\n")
    assert ok.cases[0].value == "x"
    big = await run(runner, "def f(x):\n    open('/tmp/a', 'w').write('x' * 3 * 10**7)\n")
    assert big.cases[0].error is not None and "File too large" in big.cases[0].error


async def test_a_shell_runs_inside_the_sandbox_only(runner: BwrapRunner) -> None:
    code = ("import subprocess\ndef f(x):\n    return subprocess.run(['sh', '-c', 'id -u; cat /etc/passwd; "
            "ls /home /work /var; echo end'], capture_output=True, text=True).stdout\n")
    result = await run(runner, code)
    assert result.status is RunStatus.PASSED
    lines = result.cases[0].value.split()
    assert lines[0] != "0"  # never root
    assert lines[1:] == ["end"]  # nothing of the host to show


async def test_ctypes_crash_is_a_crash(runner: BwrapRunner) -> None:
    result = await run(runner, "import ctypes\ndef f(x):\n    ctypes.string_at(0)\n")
    assert result.status is RunStatus.CRASHED


async def test_a_forged_result_line_cannot_reveal_more_than_its_own_cases(runner: BwrapRunner) -> None:
    code = ("import os\ndef f(x):\n    os.write(1, b'\\x1e\\x1eRESULT {\"status\": \"error\", \"cases\": []}\\n')\n"
            "    os._exit(0)\n")
    result = await run(runner, code)
    assert result.status is RunStatus.ERROR and result.cases == ()


async def test_the_event_loop_stays_live_during_a_hostile_run(runner: BwrapRunner) -> None:
    delays: list[float] = []

    async def ticker() -> None:
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.01)
            delays.append(time.perf_counter() - t - 0.01)

    task = asyncio.create_task(ticker())
    await run(runner, "def f(x):\n    while True:\n        pass\n")
    task.cancel()
    assert len(delays) > 50 and max(delays) < 0.25


async def test_back_pressure_is_busy() -> None:
    pool = BwrapRunner(pool_size=1, queue_limit=0)
    await pool.start()
    try:
        slow = asyncio.create_task(run(pool, "import time\ndef f(x):\n    time.sleep(1)\n"))
        await asyncio.sleep(0.2)
        with pytest.raises(Busy):
            await run(pool, "def f(x):\n    return 1\n")
        assert (await slow).status is RunStatus.PASSED
    finally:
        await pool.close()


async def test_too_large_code_is_refused(runner: BwrapRunner) -> None:
    with pytest.raises(CodeTooLarge):
        await run(runner, "x = 1\n" * 20000)


async def test_without_bubblewrap_code_is_refused_never_run() -> None:
    pool = BwrapRunner(bwrap="/nonexistent/bwrap")
    with pytest.raises(SandboxUnavailable, match="not installed"):
        await pool.start()
    with pytest.raises(SandboxUnavailable):
        await pool.run(code="def f(x):\n    return 1\n", entry="f", cases=ONE, limits=LIMITS)


async def test_a_bwrap_that_cannot_make_a_sandbox_is_refused() -> None:
    pool = BwrapRunner(bwrap="false")  # installed, but starts nothing
    with pytest.raises(SandboxUnavailable, match="cannot create a sandbox"):
        await pool.run(code="def f(x):\n    return 1\n", entry="f", cases=ONE, limits=LIMITS)
