"""Websocket connection limits: sockets per client address (the real client behind a trusted proxy)
and the silence a socket is allowed before and after it has a session."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from interviewer.api.app import create_app
from interviewer.wiring import build_services
from tests.api.conftest import make_settings

BASE = "http://127.0.0.1:8000"
WS = "ws://127.0.0.1:8000/v1/interviews/ws"  # a loopback Host: auth is off here


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ws-limits")


def closed_with(ws, code: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """The error frame the server sent before closing with `code`."""
    err = ws.receive_json()
    with pytest.raises(WebSocketDisconnect) as gone:
        ws.receive_json()
    assert gone.value.code == code
    return err  # type: ignore[no-any-return]


def test_sockets_per_client_address_behind_a_trusted_proxy(shared: Path, encoder, bank) -> None:  # type: ignore[no-untyped-def]
    svc = build_services(make_settings(shared, ws_max_per_ip=2, trusted_proxies=["10.0.0.0/8"]),
                         encoder=encoder, bank=bank)
    alice = {"X-Forwarded-For": "203.0.113.5"}
    with TestClient(create_app(services=svc), base_url=BASE, client=("10.1.2.3", 4000)) as proxy:
        with proxy.websocket_connect(WS, headers=alice) as one, \
                proxy.websocket_connect(WS, headers=alice) as two:
            for ws in (one, two):
                ws.send_json({"type": "ping"})
                assert ws.receive_json()["type"] == "pong"
            with proxy.websocket_connect(WS, headers=alice) as three:
                err = closed_with(three, 1013)
                assert err["code"] == "too_many_connections" and err["retry_after"] == 10
            # another client behind the same proxy is not affected
            with proxy.websocket_connect(WS, headers={"X-Forwarded-For": "203.0.113.6"}) as bob:
                bob.send_json({"type": "ping"})
                assert bob.receive_json()["type"] == "pong"
        # closed sockets no longer count
        with proxy.websocket_connect(WS, headers=alice) as again:
            again.send_json({"type": "ping"})
            assert again.receive_json()["type"] == "pong"


def test_silent_sockets_are_closed_and_the_session_resumes(shared: Path, encoder, bank) -> None:  # type: ignore[no-untyped-def]
    svc = build_services(make_settings(shared, ws_start_timeout=0.5, ws_idle_timeout=1.5),
                         encoder=encoder, bank=bank)
    with TestClient(create_app(services=svc), base_url=BASE) as c:
        with c.websocket_connect(WS) as ws:
            started = time.monotonic()
            err = closed_with(ws, 4408)
            assert err["code"] == "idle_timeout" and 0.4 < time.monotonic() - started < 1.4
        with c.websocket_connect(WS) as ws:
            ws.send_json({"type": "start", "num_questions": 1, "max_followups": 0})
            session = ws.receive_json()
            question = ws.receive_json()
            assert session["type"] == "session" and question["type"] == "question"
            time.sleep(1.0)  # past the start timeout: with a session the longer limit applies
            ws.send_json({"type": "ping"})
            assert ws.receive_json()["type"] == "pong"
            started = time.monotonic()
            err = closed_with(ws, 4408)
            assert err["code"] == "idle_timeout" and 1.3 < time.monotonic() - started < 2.5
        with c.websocket_connect(WS) as ws:
            ws.send_json({"type": "resume", "session_id": session["session_id"],
                          "resume_token": session["resume_token"], "last_seq": 0})
            replayed = [ws.receive_json()["type"] for _ in range(2)]
            assert replayed == ["session", "question"]
