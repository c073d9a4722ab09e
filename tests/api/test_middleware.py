"""The ASGI guards in front of the app: request size, and the error shape of what never reaches a route."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from interviewer.api.app import create_app
from interviewer.wiring import build_services
from tests.api.conftest import make_settings, serve

MiB = 1024 * 1024


async def call(app: Any, method: str, path: str, chunks: list[bytes],
               headers: list[tuple[bytes, bytes]] | None = None) -> tuple[int, dict[str, str], bytes, int]:
    """Drive the ASGI app by hand; returns status, headers, body and how many chunks it read."""
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read < len(chunks):
            read += 1
            return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": headers or [(b"host", b"127.0.0.1:8000")],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    hdrs = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], hdrs, body, read


async def test_chunked_body_over_the_limit_is_refused_while_streaming(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, max_body_bytes=MiB))
    chunks = [b"x" * 64 * 1024] * 64  # 4 MiB without a Content-Length
    headers = [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
               (b"transfer-encoding", b"chunked")]
    status, _, body, read = await call(app, "POST", "/v1/grade", chunks, headers)
    assert status == 413
    assert json.loads(body)["error"]["code"] == "payload_too_large"
    assert read <= MiB // (64 * 1024) + 1  # stopped reading right after the limit


async def test_body_under_the_limit_reaches_the_route(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, max_body_bytes=MiB))
    headers = [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json")]
    status, _, body, _ = await call(app, "POST", "/v1/grade", [b'{"question_id": "x",', b' "answer": "y"}'],
                                    headers)
    assert status == 503 and json.loads(body)["error"]["code"] == "not_ready"  # no services loaded


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory, encoder, bank):  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path_factory.mktemp("limits"), auth="on", max_body_bytes=MiB)
    yield from serve(build_services(settings, encoder=encoder, bank=bank))


def test_large_body_refused_by_content_length_before_authentication(auth_server) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps({"question_id": "arch-attention-scaling", "answer": "a" * (2 * MiB)})
    r = httpx.post(auth_server.base_url + "/v1/grade", content=body,
                   headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 413  # not 401: the body was refused before the key was looked at
    assert r.json()["error"]["code"] == "payload_too_large"
    assert "INTERVIEWER_MAX_BODY_BYTES" in r.json()["error"]["message"]
    small = httpx.post(auth_server.base_url + "/v1/grade", json={"question_id": "x", "answer": "y"})
    assert small.status_code == 401


@pytest.fixture
def loading_app(tmp_path: Path) -> httpx.AsyncClient:
    """The real app before its services are loaded (no lifespan): every /v1 route answers 503."""
    app = create_app(make_settings(tmp_path))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000")


def error_code(r: httpx.Response) -> str:
    body = r.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    return str(body["error"]["code"])


async def test_unknown_routes_and_wrong_methods_answer_the_error_shape(loading_app: httpx.AsyncClient) -> None:
    async with loading_app as c:
        r = await c.get("/v1/no-such-thing")
        assert r.status_code == 404 and error_code(r) == "not_found"
        r = await c.delete("/v1/questions")
        assert r.status_code == 405 and error_code(r) == "method_not_allowed"
        assert "GET" in r.headers["allow"]
        # GET and DELETE are two routes on one path: Allow names both (Starlette named the first only)
        r = await c.options("/v1/webhooks/wh_1")
        assert r.status_code == 405 and error_code(r) == "method_not_allowed"
        assert {"GET", "DELETE"} <= {m.strip() for m in r.headers["allow"].split(",")}


async def test_unreadable_bodies_answer_the_error_shape(loading_app: httpx.AsyncClient) -> None:
    async with loading_app as c:
        r = await c.post("/v1/grade", content=b"[" * 5000, headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and error_code(r) == "bad_request"
        r = await c.post("/v1/grade", content=b"{not json", headers={"Content-Type": "application/json"})
        assert r.status_code == 422 and error_code(r) == "invalid_request"


async def test_every_503_carries_retry_after(loading_app: httpx.AsyncClient) -> None:
    async with loading_app as c:
        for path in ("/v1/questions", "/readyz"):
            r = await c.get(path)
            assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1, path
        r = await c.get("/v1/questions")
        assert error_code(r) == "not_ready" and r.json()["error"]["retry_after"] >= 1


async def test_auth_off_serves_only_this_machines_names_and_pages(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))
    for host in (b"127.0.0.1:8000", b"localhost:8000", b"[::1]:8000", b"app.localhost", b"127.0.0.2"):
        status, _, _, _ = await call(app, "GET", "/healthz", [b""], [(b"host", host)])
        assert status == 200, host
    # DNS rebinding: the attacker's name, pointed at 127.0.0.1
    status, _, body, _ = await call(app, "GET", "/v1/questions", [b""], [(b"host", b"rebind.attacker.example:8000")])
    assert status == 403 and json.loads(body)["error"]["code"] == "forbidden"
    headers = [(b"host", b"127.0.0.1:8000"), (b"origin", b"https://attacker.example"),
               (b"content-type", b"application/json")]
    status, _, _, _ = await call(app, "POST", "/v1/interviews", [b"{}"], headers)
    assert status == 403
    ok = [(b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000")]
    status, _, _, _ = await call(app, "GET", "/healthz", [b""], ok)
    assert status == 200


async def ws_handshake(app: Any, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """The app's first answer to a websocket upgrade: `websocket.accept`, or `websocket.close` (403)."""
    sent: list[dict[str, Any]] = []
    inbox = [{"type": "websocket.connect"}]

    async def receive() -> dict[str, Any]:
        return inbox.pop(0) if inbox else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "websocket", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "ws",
             "path": "/v1/interviews/ws", "raw_path": b"/v1/interviews/ws", "query_string": b"",
             "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000),
             "server": ("127.0.0.1", 8000), "subprotocols": []}
    await app(scope, receive, send)
    return sent[0]


async def test_auth_off_refuses_websockets_opened_by_foreign_pages(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))
    foreign = await ws_handshake(app, [(b"host", b"127.0.0.1:8000"), (b"origin", b"https://attacker.example")])
    assert foreign["type"] == "websocket.close"
    for origin in (b"null",):  # a sandboxed or file:// page
        refused = await ws_handshake(app, [(b"host", b"127.0.0.1:8000"), (b"origin", origin)])
        assert refused["type"] == "websocket.close"
    own = await ws_handshake(app, [(b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000")])
    assert own["type"] == "websocket.accept"
    tool = await ws_handshake(app, [(b"host", b"127.0.0.1:8000")])  # no Origin: not a browser page
    assert tool["type"] == "websocket.accept"


async def test_auth_on_leaves_host_and_origin_to_the_keys(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, auth="on", host="0.0.0.0"))
    status, _, _, _ = await call(app, "GET", "/healthz", [b""], [(b"host", b"interviews.example.com")])
    assert status == 200
    sock = await ws_handshake(app, [(b"host", b"interviews.example.com"), (b"origin", b"https://partner.example")])
    assert sock["type"] == "websocket.accept"


def test_tokens_in_query_strings_stay_out_of_the_servers_logs(tmp_path: Path) -> None:
    import logging
    import threading
    import time

    import uvicorn
    import websockets.sync.client

    from interviewer.logs import redact
    from tests.conftest import free_port

    class Capture(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.lines: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.lines.append(record.getMessage())

    port = free_port()
    config = uvicorn.Config(create_app(make_settings(tmp_path)), host="127.0.0.1", port=port,
                            log_level="info", lifespan="off", proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    capture = Capture()
    loggers = [logging.getLogger(n) for n in ("uvicorn.access", "uvicorn.error")]
    for lg in loggers:
        lg.addHandler(capture)
    try:
        secret = "cAnDiDaTe-SeCrEt-123"
        httpx.get(f"http://127.0.0.1:{port}/v1/interviews?session_id=s1&token={secret}")
        with websockets.sync.client.connect(
                f"ws://127.0.0.1:{port}/v1/interviews/ws?session_id=s1&token={secret}") as ws:
            ws.recv(timeout=10)  # not_ready: the app has no services here
        deadline = time.monotonic() + 5
        while not any("WebSocket" in line for line in capture.lines) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        for lg in loggers:
            lg.removeHandler(capture)
        server.should_exit = True
        thread.join(timeout=10)
    logged = "\n".join(capture.lines)
    assert "/v1/interviews?session_id=s1" in logged and any("WebSocket" in line for line in capture.lines)
    assert secret not in logged
    assert redact(f"/ws?session_id=s1&token={secret}&x=1") == "/ws?session_id=s1&token=[redacted]&x=1"
