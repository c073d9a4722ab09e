"""`interviewer serve` as a child process, for the tests that kill and restart instances."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import free_port

READY_TIMEOUT = 240.0  # the first start builds the concept index: ~15 s idle, far more on a busy box


class AppProcess:
    """`interviewer serve --port P` in a child process, logging to a file."""

    def __init__(self, name: str, workdir: Path, redis_url: str, data_dir: Path,
                 env: dict[str, str] | None = None) -> None:
        self.name, self.workdir, self.redis_url, self.data_dir = name, workdir, redis_url, data_dir
        self.extra_env = env or {}
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / f"{name}.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/interviews/ws"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("INTERVIEWER_")}
        env.update(INTERVIEWER_REDIS_URL=self.redis_url, INTERVIEWER_STORE="redis",
                   INTERVIEWER_DATA_DIR=str(self.data_dir), HF_HUB_OFFLINE="1",
                   LITELLM_LOCAL_MODEL_COST_MAP="True", INTERVIEWER_LOG_LEVEL="INFO")
        env.update(self.extra_env)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from interviewer.cli import app; app()",
                 "serve", "--port", str(self.port)],
                env=env, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> float:
        """Block until GET /readyz is 200; return the seconds it took."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.proc.returncode}: {self.tail()}")
            try:
                with urllib.request.urlopen(self.base_url + "/readyz", timeout=1) as r:
                    if r.status == 200:
                        return time.monotonic() - t0
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout}s: {self.tail()}")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            self.proc = None

    def tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""
