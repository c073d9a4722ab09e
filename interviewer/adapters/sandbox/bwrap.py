"""CodeRunner on bubblewrap: each run gets a fresh, pre-started (warm) sandbox process.

Isolation (see docs/architecture.md, "Coding questions"): new network, pid, ipc and uts namespaces
(no network at all); a private tmpfs as the only writable place; read-only binds of /usr, the Python
installation and numpy only (no /etc, /home, /root, no data directory); all capabilities dropped;
as root the process runs as a dedicated unprivileged uid per slot, so that RLIMIT_NPROC bounds its
processes; CPU-time, address-space, process-count and file-size rlimits; wall time and output size
are enforced here, by killing the sandbox. A process is used for exactly one run, then discarded.
Every sandbox process has oom_score_adj 1000 and joins the configured cgroup, if any; sandboxes are
started with vfork, never by forking the server (child.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.adapters.sandbox import harness
from interviewer.adapters.sandbox.child import Child
from interviewer.core.code import CaseResult, CodeCase, CodeLimits, RunResult, RunStatus
from interviewer.errors import Busy, CodeTooLarge, SandboxUnavailable

HARNESS = Path(harness.__file__).resolve()
MAX_CODE_BYTES = 64 * 1024
RESULT_ALLOWANCE = 16 * 1024 * 1024  # bytes of result JSON on top of the printed-output limit
SANDBOX_TMPFS_BYTES = 16 * 1024 * 1024


def _numpy_dirs() -> list[Path]:
    root = Path(np.__file__).resolve().parent
    dirs = [root]
    libs = root.parent / "numpy.libs"
    if libs.is_dir():
        dirs.append(libs)
    return dirs


@dataclass(slots=True)
class _Warm:
    proc: Child
    uid: int | None
    ready: bool = False


class BwrapRunner:
    """A pool of `pool_size` warm sandboxes, at most `pool_size` runs at once, `queue_limit` waiting."""

    def __init__(
        self,
        *,
        pool_size: int = 2,
        queue_limit: int = 8,
        uid_base: int = 61000,
        bwrap: str = "bwrap",
        cgroup: str = "",
    ) -> None:
        self.pool_size = max(1, pool_size)
        self.queue_limit = max(0, queue_limit)
        self._bwrap = shutil.which(bwrap) or bwrap
        self._cgroup = cgroup  # a cgroup directory every sandbox joins ("": the server's own)
        self._root = os.geteuid() == 0
        self._uids = list(range(uid_base, uid_base + 2 * self.pool_size + 2)) if self._root else []
        self._free_uids = list(self._uids)
        self._warm: list[_Warm] = []
        self._slots = asyncio.Semaphore(self.pool_size)
        self._waiting = 0
        self._checked: str | None = None  # None: not checked; "" ok; else the reason it is unusable
        self._closed = False
        self._started = False
        self._refill: set[asyncio.Task[None]] = set()

    # ---------------------------------------------------------------- availability
    def argv(self, uid: int | None) -> list[str]:
        base = Path(sys.base_prefix).resolve()
        exe = Path(sys.executable).resolve()
        if not exe.is_relative_to(base):  # a venv's python links to the base interpreter
            exe = base / "bin" / exe.name
        args = [
            self._bwrap,
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session",
            "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/bin", "/bin",
        ]
        if Path("/lib64").exists():
            args += ["--symlink", "usr/lib64", "/lib64"]
        if not base.is_relative_to("/usr"):
            for parent in reversed(base.parents[:-1]):  # e.g. /root is 0700 otherwise
                args += ["--perms", "0755", "--dir", str(parent)]
            args += ["--ro-bind", str(base), str(base)]
        for d in _numpy_dirs():
            args += ["--ro-bind", str(d), f"/pkgs/{d.name}"]
        args += [
            "--ro-bind", str(HARNESS), "/harness/harness.py",
            "--proc", "/proc", "--dev", "/dev",
            "--perms", "01777", "--size", str(SANDBOX_TMPFS_BYTES), "--tmpfs", "/tmp",
            "--chdir", "/tmp", "--clearenv",
            "--setenv", "HOME", "/tmp", "--setenv", "OPENBLAS_NUM_THREADS", "1",
            "--setenv", "OMP_NUM_THREADS", "1", "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
        ]
        if self._root:
            # real root: no user namespace; the harness keeps only setuid/setgid to drop to `uid`
            args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        else:
            args += ["--unshare-user", "--cap-drop", "ALL"]
        args += ["--", str(exe), "-I", "-S", "/harness/harness.py"]
        if uid is not None:
            args.append(str(uid))
        # A shell starts bwrap so that everything in the sandbox, from its first process on, is the
        # OOM killer's first choice, not the server (set with the server's privileges: as root the
        # code cannot lower it again), and runs in `cgroup` when one is given (docs/deployment.md).
        prelude = "echo 1000 > /proc/self/oom_score_adj && "
        if self._cgroup:
            prelude += 'echo $$ > "$0/cgroup.procs" && '
        return ["/bin/sh", "-c", prelude + 'exec "$@"', self._cgroup or "sandbox", *args]

    def check(self) -> None:
        """Run a trivial sandboxed command once; raise SandboxUnavailable if that is impossible."""
        if self._checked is None:
            self._checked = self._probe()
        if self._checked:
            raise SandboxUnavailable(f"code questions are unavailable: {self._checked}")

    def _probe(self) -> str:
        if shutil.which(self._bwrap) is None:
            return "bubblewrap (bwrap) is not installed"
        try:
            proc = subprocess.run(
                self.argv(self._uids[0] if self._uids else None),
                input=b"", capture_output=True, timeout=30, check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bwrap failed to start: {exc}"
        if not proc.stdout.startswith(harness.READY):
            err = proc.stderr.decode(errors="replace").strip()[:300]
            return f"bwrap cannot create a sandbox here: {err or 'no output'}"
        return ""

    async def ensure_available(self) -> None:
        """`check`, probing (once) in a worker thread: the probe starts a sandbox and waits for it."""
        if self._checked is None:
            self._checked = await asyncio.to_thread(self._probe)
        self.check()

    @property
    def available(self) -> bool:
        try:
            self.check()
        except SandboxUnavailable:
            return False
        return True

    # ---------------------------------------------------------------- pool
    async def start(self) -> None:
        self.check()
        if self._started:
            return
        self._started = True
        for _ in range(self.pool_size):
            self._schedule_refill()

    def _schedule_refill(self) -> None:
        if self._closed:
            return
        task = asyncio.get_running_loop().create_task(self._add_warm())
        self._refill.add(task)
        task.add_done_callback(self._refill.discard)

    async def _spawn(self) -> _Warm:
        uid: int | None = None
        if self._root:
            while not self._free_uids:
                await asyncio.sleep(0.01)
            uid = self._free_uids.pop(0)
        # not asyncio.create_subprocess_exec: under uvloop that forks the whole server (child.py)
        try:
            proc = await Child.start(self.argv(uid))
        except BaseException:
            if uid is not None:
                self._free_uids.append(uid)
            raise
        return _Warm(proc=proc, uid=uid)

    async def _add_warm(self) -> None:
        warm = await self._spawn()
        try:
            ready = await self._wait_ready(warm)
        except BaseException:  # cancelled by close(): never leave a sandbox behind
            await asyncio.shield(self._discard(warm))
            raise
        if ready and not self._closed and len(self._warm) < self.pool_size:
            self._warm.append(warm)
        else:
            await self._discard(warm)

    async def _wait_ready(self, warm: _Warm) -> bool:
        try:
            line = await asyncio.wait_for(warm.proc.stdout.readline(), 30)
        except TimeoutError:
            return False
        warm.ready = line == harness.READY
        return warm.ready

    async def _discard(self, warm: _Warm) -> None:
        warm.proc.kill_group()
        with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
            await asyncio.wait_for(warm.proc.wait(), 5)
        warm.proc.close()
        if warm.uid is not None:
            self._free_uids.append(warm.uid)

    async def _take(self) -> _Warm:
        if self._warm:
            warm = self._warm.pop(0)
            if warm.proc.returncode is None:
                self._schedule_refill()
                return warm
            await self._discard(warm)
        warm = await self._spawn()
        self._schedule_refill()
        if not await self._wait_ready(warm):
            await self._discard(warm)
            raise SandboxUnavailable("the sandbox did not start")
        return warm

    async def close(self) -> None:
        self._closed = True
        # let pending refills finish (they discard their sandbox once closed): cancelling one in the
        # middle of starting its process would leave that process unowned
        if self._refill:
            await asyncio.wait(list(self._refill), timeout=40)
        while self._warm:
            await self._discard(self._warm.pop())

    # ---------------------------------------------------------------- runs
    async def run(
        self, *, code: str, entry: str, cases: Sequence[CodeCase], limits: CodeLimits
    ) -> RunResult:
        await self.start()  # warms the pool on first use
        if len(code.encode()) > MAX_CODE_BYTES:
            raise CodeTooLarge(f"code is longer than {MAX_CODE_BYTES} bytes")
        if self._slots.locked() and self._waiting >= self.queue_limit:
            raise Busy("the code runner is busy; try again shortly")
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        try:
            warm = await self._take()
            try:
                return await self._execute(warm, code, entry, cases, limits)
            finally:
                await self._discard(warm)
        finally:
            self._slots.release()

    def _nproc(self, limits: CodeLimits) -> int:
        if self._root:
            return limits.processes
        # own uid (user namespace): RLIMIT_NPROC counts all of this uid's tasks, so add those
        uid, count = os.getuid(), 0
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if os.stat(entry.path).st_uid == uid:
                        count += len(os.listdir(f"{entry.path}/task"))
        return count + limits.processes

    async def _execute(
        self, warm: _Warm, code: str, entry: str, cases: Sequence[CodeCase], limits: CodeLimits
    ) -> RunResult:
        proc = warm.proc
        # a scan of /proc as an unprivileged user takes 0.5-13 ms: not on the event loop
        nproc = limits.processes if self._root else await asyncio.to_thread(self._nproc, limits)
        request = json.dumps({
            "code": code, "entry": entry,
            "cases": [harness.encode({"args": tuple(c.args), "kwargs": dict(c.kwargs)}) for c in cases],
            "limits": {"cpu_seconds": limits.cpu_seconds, "memory_bytes": limits.memory_bytes,
                       "nproc": nproc},
        }).encode()
        started = time.perf_counter()
        try:
            await proc.write(b"%d\n" % len(request) + request)
        except (BrokenPipeError, ConnectionResetError):
            return RunResult(RunStatus.CRASHED, (), "", "the sandbox closed its input")
        cap = limits.output_bytes + RESULT_ALLOWANCE
        marker = harness.MARKER.encode()
        printed_cap = limits.output_bytes + len(marker)
        chunks: list[bytes] = []
        size = 0
        over = False
        deadline = started + limits.wall_seconds
        timed_out = False
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                timed_out = True
                break
            try:
                chunk = await asyncio.wait_for(proc.stdout.read(65536), remaining)
            except TimeoutError:
                timed_out = True
                break
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > cap or (size > printed_cap and marker not in b"".join(chunks)):
                over = True
                break
        if timed_out or over:
            proc.kill_group()
        with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
            await asyncio.wait_for(proc.wait(), 5)
        seconds = time.perf_counter() - started
        data = b"".join(chunks)
        at = data.rfind(marker)
        printed = data if at < 0 else data[:at]
        output = printed[: limits.output_bytes].decode(errors="replace")
        if over or len(printed) > limits.output_bytes:
            return RunResult(RunStatus.OUTPUT_LIMIT, (), output,
                             f"printed more than {limits.output_bytes} bytes", seconds)
        if timed_out:
            return RunResult(RunStatus.TIMEOUT, (), output,
                             f"wall time over {limits.wall_seconds:g} s", seconds)
        if at < 0:
            status = _status_of_exit(proc.returncode)
            detail = ("CPU time over the limit" if status is RunStatus.TIMEOUT
                      else f"the interpreter died (exit status {proc.returncode})")
            return RunResult(status, (), output, detail, seconds)
        try:
            payload: dict[str, Any] = json.loads(data[at + len(marker):].decode())
            results = tuple(
                CaseResult(ok=True, value=harness.decode(c["value"])) if c.get("ok")
                else CaseResult(ok=False, error=str(c.get("error", ""))[:300])
                for c in payload.get("cases", [])[: len(cases)]
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return RunResult(RunStatus.CRASHED, (), output, f"unreadable result: {exc}"[:300], seconds)
        reported = str(payload.get("status"))
        detail = str(payload.get("detail", ""))[:300]
        if reported == "error":
            return RunResult(RunStatus.ERROR, (), output, detail, seconds)
        if reported == "memory":
            return RunResult(RunStatus.MEMORY, results, output, detail, seconds)
        ok = len(results) == len(cases) and all(r.ok for r in results)
        return RunResult(RunStatus.PASSED if ok else RunStatus.FAILED, results, output, detail, seconds)


def _status_of_exit(code: int | None) -> RunStatus:
    """bwrap exits 128+N when its child is killed by signal N; SIGXCPU/SIGKILL come from RLIMIT_CPU."""
    sig = -code if code is not None and code < 0 else (code - 128 if code and code > 128 else 0)
    if sig in (signal.SIGXCPU, signal.SIGKILL):
        return RunStatus.TIMEOUT
    return RunStatus.CRASHED
