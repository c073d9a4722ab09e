"""A sandbox process started with vfork, its pipes and its exit watched on the running event loop.

Why not `asyncio.create_subprocess_exec`: under uvloop (what uvicorn picks for the server) that is
libuv's spawn, a full fork() of the server process followed by a blocking wait for the child's
exec, all on the event-loop thread. With the server's few hundred MB of mappings that blocked the
loop for 30-90 ms per sandbox, so every code run delayed other sessions' messages (docs/performance.md,
"Websocket pings during hostile runs"). `subprocess.Popen` uses vfork on Linux (CPython >= 3.10,
no preexec_fn, no user or group change): no page tables are copied and only the calling thread
waits, well under a millisecond, for the exec. It is called on the event-loop thread, never in a
worker thread: bwrap's --die-with-parent follows the thread that started it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import Sequence


class Child:
    """One started process: `stdout` as a StreamReader, `write` to its stdin, `wait` for its exit."""

    def __init__(self, popen: subprocess.Popen[bytes], stdout: asyncio.StreamReader,
                 out_transport: asyncio.ReadTransport, pidfd: int) -> None:
        self._popen = popen
        self.pid = popen.pid
        self.stdout = stdout
        self._out_transport = out_transport
        self._pidfd = pidfd
        self._exited = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().add_reader(pidfd, self._on_exit)

    @classmethod
    async def start(cls, argv: Sequence[str]) -> Child:
        """Start `argv` in a new session with piped stdin/stdout and stderr discarded."""
        popen = subprocess.Popen(
            list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert popen.stdin is not None and popen.stdout is not None
        loop = asyncio.get_running_loop()
        pidfd = -1
        try:
            pidfd = os.pidfd_open(popen.pid)
            os.set_blocking(popen.stdin.fileno(), False)
            reader = asyncio.StreamReader(limit=1 << 20)
            transport, _ = await loop.connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(reader), popen.stdout)
        except BaseException:
            popen.kill()
            popen.communicate()  # reaps it and closes the pipes; it was killed, so at once
            if pidfd >= 0:
                os.close(pidfd)
            raise
        return cls(popen, reader, transport, pidfd)

    @property
    def returncode(self) -> int | None:
        return self._popen.returncode

    def _on_exit(self) -> None:
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._pidfd)
        with contextlib.suppress(ChildProcessError):
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                # negative for a signal, as asyncio reports it; Popen then never waits for it again
                self._popen.returncode = os.waitstatus_to_exitcode(status)
        if not self._exited.done():
            self._exited.set_result(None)

    async def wait(self) -> int | None:
        """Wait until the process has exited and been reaped; its exit code."""
        await asyncio.shield(self._exited)
        return self.returncode

    async def write(self, data: bytes) -> None:
        """Write all of `data` to stdin without blocking the loop, then close stdin."""
        assert self._popen.stdin is not None
        fd = self._popen.stdin.fileno()
        view = memoryview(data)
        try:
            while view:
                try:
                    view = view[os.write(fd, view):]
                except BlockingIOError:
                    if not await self._writable(fd):
                        raise BrokenPipeError("the process exited before reading its input") from None
        finally:
            self._popen.stdin.close()

    async def _writable(self, fd: int) -> bool:
        """Wait until `fd` takes more input (True) or the process has exited (False)."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def on_ready() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_writer(fd, on_ready)
        try:
            await asyncio.wait([ready, self._exited], return_when=asyncio.FIRST_COMPLETED)
        finally:
            loop.remove_writer(fd)
        return ready.done()

    def kill_group(self) -> None:
        """SIGKILL the process's whole session group (it is the group leader)."""
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)

    def close(self) -> None:
        """Release the pipes and the pidfd (after `wait`)."""
        if self._popen.stdin is not None and not self._popen.stdin.closed:
            self._popen.stdin.close()
        self._out_transport.close()
        if self._pidfd >= 0:
            if not self._exited.done():
                asyncio.get_running_loop().remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = -1
