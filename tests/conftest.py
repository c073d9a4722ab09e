"""Shared fixtures: the real packaged encoder, a real redis-server on a free port, app clients."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import interviewer  # noqa: F401  (applies the offline environment)

REPO = Path(__file__).resolve().parents[1]

pytest_plugins = ["tests.fakes.plugin"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def encoder():  # type: ignore[no-untyped-def]
    """The real packaged all-MiniLM-L6-v2, loaded once per test session."""
    from interviewer.adapters.encoder_st import SentenceTransformerEncoder

    return SentenceTransformerEncoder()


class RedisServer:
    """A real redis-server process on a free port with its own directory."""

    def __init__(self, workdir: Path, *, appendonly: bool = True, password: str | None = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.appendonly = appendonly
        self.password = password  # requirepass: every client must AUTH
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not installed (scripts/system-deps.sh installs it)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        args = [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir),
                "--save", "", "--daemonize", "no", "--protected-mode", "yes"]
        if self.appendonly:
            args += ["--appendonly", "yes", "--appendfsync", "everysec"]
        if self.password:
            args += ["--requirepass", self.password]
        hello = (f"AUTH {self.password}\r\n" if self.password else "").encode() + b"PING\r\n"
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(hello)
                    if b"+PONG" in s.recv(64):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A fresh real redis-server (AOF on) for one test; never the machine's shared one."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()
