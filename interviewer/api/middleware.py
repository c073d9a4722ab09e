"""Pure ASGI guards that run before routing, body parsing and authentication."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interviewer import metrics
from interviewer.api.inputs import check_json_body
from interviewer.errors import Forbidden, InterviewerError, InvalidText, PayloadTooLarge


def error_body(exc: InterviewerError) -> dict[str, object]:
    """The documented error shape: `{"error": {"code", "message", "retry_after"}}`."""
    return {"error": {"code": exc.code, "message": exc.message, "retry_after": exc.retry_after}}


def error_headers(exc: InterviewerError) -> dict[str, str]:
    """`Retry-After` in whole seconds (at least 1) when the error says when to retry."""
    if not exc.retry_after:
        return {}
    return {"Retry-After": str(max(1, round(exc.retry_after)))}


async def send_error(send: Send, exc: InterviewerError) -> None:
    """Answer an HTTP request with a typed error, without the app."""
    metrics.ERRORS.labels(code=exc.code).inc()
    body = json.dumps(error_body(exc)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    headers += [(k.lower().encode(), v.encode()) for k, v in error_headers(exc).items()]
    await send({"type": "http.response.start", "status": exc.http_status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse request bodies above `max_bytes` with 413, by Content-Length and while reading.

    The body is read (up to the limit) before the app runs, so an oversized request never reaches
    JSON parsing or authentication and never costs more than `max_bytes` of memory.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"request bodies are limited to {self.max_bytes} bytes "
                               "(INTERVIEWER_MAX_BODY_BYTES)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.max_bytes + 1  # unparsable: refuse rather than guess
                if declared > self.max_bytes:
                    await send_error(send, self._too_large())
                    return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left: let the app see it
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await send_error(send, self._too_large())
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)


class ValidText:
    """Refuse a JSON body that is not UTF-8 or holds a lone surrogate (`\\ud800`) with 422 invalid_text.

    Runs inside BodyLimit, so the body it reads is bounded.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            check_json_body(body)
        except InvalidText as exc:
            await send_error(send, exc)
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}],
                                      receive), send)


def _is_json(scope: Scope) -> bool:
    """Whether the app will read the body as JSON (FastAPI also does when no type is given)."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            kind = bytes(value).split(b";", 1)[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    return scope["method"] in ("POST", "PUT", "PATCH", "DELETE")


class LocalOnly:
    """With auth off: only requests to this machine's names, from pages served by this machine.

    Without keys anyone who can make the browser send a request acts as the local admin. A web page
    cannot read the answers of a cross-site request, but through DNS rebinding (its own name pointed
    at 127.0.0.1) it sends `Host: its-name`, and a websocket opened by a foreign page is not bound by
    the same-origin policy at all (it sends `Origin: its-origin`). Both are refused here.
    """

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = {h.lower().strip("[]") for h in hosts if h}

    def allowed(self, host: str) -> bool:
        """Whether `host` (a name or address, without port) is this machine."""
        h = host.lower().strip("[]").rstrip(".")
        if h in self.hosts or h == "localhost" or h.endswith(".localhost"):
            return True
        try:
            return ipaddress.ip_address(h).is_loopback
        except ValueError:
            return False

    def refusal(self, scope: Scope) -> Forbidden | None:
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode("latin-1")
        if host and not self.allowed(urlsplit(f"//{host}").hostname or ""):
            return Forbidden(f"Host {host!r} is not this machine: with INTERVIEWER_AUTH=off only "
                             "loopback names are served (DNS rebinding)")
        origin = headers.get(b"origin")
        if origin is not None:
            text = origin.decode("latin-1")
            if not self.allowed(urlsplit(text).hostname or ""):
                return Forbidden(f"requests from the page {text!r} are refused with INTERVIEWER_AUTH=off")
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refused = self.refusal(scope) if scope["type"] in ("http", "websocket") else None
        if refused is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            await send_error(send, refused)
        else:  # closing before accepting makes the server answer the upgrade with 403
            metrics.ERRORS.labels(code=refused.code).inc()
            await send({"type": "websocket.close", "code": refused.ws_close_code or 4403,
                        "reason": "foreign origin"})


def _replay(first: list[Message], receive: Receive) -> Receive:
    """A receive that returns `first`, then whatever the server sends next (e.g. a disconnect)."""
    pending = list(first)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
