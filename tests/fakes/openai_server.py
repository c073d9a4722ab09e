"""A scriptable OpenAI-compatible HTTP server on 127.0.0.1, standing in for paid LLM providers."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

USAGE = {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200}


@dataclass(frozen=True)
class Reply:
    """One scripted response: content (JSON or raw text), an HTTP error, or a hang."""

    kind: str  # "content" | "status" | "hang"
    content: str = ""
    code: int = 200
    delay: float = 0.0
    usage: Mapping[str, int] = field(default_factory=lambda: dict(USAGE))

    @classmethod
    def ok(cls, payload: Any, *, delay: float = 0.0) -> Reply:
        """A completion whose content is `payload` as JSON (schema-valid or not)."""
        return cls("content", json.dumps(payload), delay=delay)

    @classmethod
    def text(cls, text: str, *, delay: float = 0.0) -> Reply:
        """A completion whose content is raw text (e.g. broken JSON)."""
        return cls("content", text, delay=delay)

    @classmethod
    def status(cls, code: int, message: str = "scripted error") -> Reply:
        """An HTTP error response with an OpenAI-style error body."""
        return cls("status", message, code=code)

    @classmethod
    def timeout(cls, seconds: float) -> Reply:
        """Hold the request open for `seconds` (or until the server stops) before answering."""
        return cls("hang", delay=seconds)


# What llama-cpp-python's server (0.3.x) answers to OpenAI's json_schema response format: its
# request model allows only "text" and "json_object", and the validation error becomes a 500.
LLAMA_CPP_REJECTION = (
    "1 validation error for CreateChatCompletionRequest\nresponse_format.type\n  Input should be "
    "'text' or 'json_object' [type=literal_error, input_value='json_schema', input_type=str]"
)


class FakeOpenAI:
    """Serves /v1/chat/completions (JSON and SSE) and /v1/models from a script of replies.

    `llama_cpp=True` behaves like llama-cpp-python's server: a request whose response_format is
    {"type": "json_schema", ...} gets HTTP 500 (without consuming a scripted reply), while
    {"type": "json_object", "schema": ...} is served normally.
    """

    def __init__(
        self, default: Reply | None = None, *, chunk_chars: int = 12, llama_cpp: bool = False
    ) -> None:
        self.default = default or Reply.ok({"ok": True})
        self.chunk_chars = chunk_chars
        self.llama_cpp = llama_cpp
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._script: list[Reply] = []
        # Answers from the request itself (a model that reacts to what it reads), before the script.
        self.responder: Callable[[dict[str, Any]], Reply | None] | None = None
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self._stopping = threading.Event()
        app = Starlette(routes=[
            Route("/v1/chat/completions", self._chat, methods=["POST"]),
            Route("/v1/models", self._models, methods=["GET"]),
        ])
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, args=([self._sock],), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.url}/v1"

    def script(self, replies: Iterable[Reply]) -> None:
        """Queue replies, consumed in order; the default answers once they run out."""
        with self._lock:
            self._script.extend(replies)

    def start(self) -> FakeOpenAI:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake OpenAI server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.should_exit = True
        self._thread.join(timeout=5)

    def _next(self) -> Reply:
        with self._lock:
            return self._script.pop(0) if self._script else self.default

    async def _models(self, request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": "fake-judge", "object": "model"}]})

    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        if self.llama_cpp and (body.get("response_format") or {}).get("type") == "json_schema":
            with self._lock:
                self.requests.append(body)
            error = {"message": LLAMA_CPP_REJECTION, "type": "internal_server_error"}
            return JSONResponse({"error": error}, status_code=500)
        reply = (self.responder(body) if self.responder else None) or self._next()
        with self._lock:
            self.requests.append(body)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if reply.delay:
                await self._sleep(reply.delay)
        finally:
            with self._lock:
                self.in_flight -= 1
        if reply.kind == "status":
            error = {"message": reply.content, "type": "scripted", "code": str(reply.code)}
            return JSONResponse({"error": error}, status_code=reply.code)
        if reply.kind == "hang":
            return JSONResponse({"error": {"message": "too late"}}, status_code=504)
        model = str(body.get("model", "fake-judge"))
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return StreamingResponse(
                self._sse(model, reply, include_usage), media_type="text/event-stream"
            )
        return JSONResponse({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": model,
            "choices": [{
                "index": 0, "finish_reason": "stop",
                "message": {"role": "assistant", "content": reply.content},
            }],
            "usage": dict(reply.usage),
        })

    async def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self._stopping.is_set():
            await asyncio.sleep(0.02)

    async def _sse(self, model: str, reply: Reply, include_usage: bool) -> AsyncIterator[bytes]:
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": model}
        text, n = reply.content, self.chunk_chars
        pieces = [text[i:i + n] for i in range(0, len(text), n)]
        for i, piece in enumerate(pieces):
            delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
            yield _event({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
            await asyncio.sleep(0.005)
        yield _event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if include_usage:
            yield _event({**base, "choices": [], "usage": dict(reply.usage)})
        yield b"data: [DONE]\n\n"


def _event(payload: Mapping[str, Any]) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()
