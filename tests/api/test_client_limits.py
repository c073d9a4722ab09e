"""Per-client limits see the real client: trusted proxies, anonymous traffic apart, pings free."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from interviewer.api.app import create_app
from interviewer.api.clientip import real_client
from interviewer.service.auth import create_key
from interviewer.service.container import Services
from interviewer.settings import Settings
from interviewer.wiring import build_services
from tests.api.conftest import make_settings

BASE = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data directory for the module, so the concept index is built once."""
    return tmp_path_factory.mktemp("client-limits")


def services(root: Path, encoder, bank, **overrides: object) -> Services:  # type: ignore[no-untyped-def]
    return build_services(make_settings(root, **overrides), encoder=encoder, bank=bank)


def partner_key(svc: Services) -> str:
    assert svc.admin is not None
    _, key = asyncio.run(create_key(svc.admin, role="partner", org_id="acme"))
    return key


def test_real_client_believes_forwarded_for_only_from_trusted_proxies() -> None:
    proxies = Settings(_env_file=None, trusted_proxies="10.0.0.0/8, 192.168.1.1").proxy_networks  # type: ignore[call-arg]
    assert real_client("10.1.2.3", ["203.0.113.7"], proxies) == "203.0.113.7"
    # the client may send its own X-Forwarded-For: the proxy appends, so the rightmost untrusted hop counts
    assert real_client("10.1.2.3", ["198.51.100.1, 203.0.113.7"], proxies) == "203.0.113.7"
    assert real_client("10.1.2.3", ["198.51.100.1", "203.0.113.7, 192.168.1.1"], proxies) == "203.0.113.7"
    assert real_client("192.0.2.50", ["203.0.113.7"], proxies) == "192.0.2.50"  # not a proxy: ignored
    assert real_client("10.1.2.3", [], proxies) == "10.1.2.3"
    assert real_client("10.1.2.3", ["not-an-ip"], proxies) == "10.1.2.3"
    assert real_client("192.0.2.50", ["203.0.113.7"], ()) == "192.0.2.50"


def test_rest_limits_per_client_behind_a_trusted_proxy(shared: Path, encoder, bank) -> None:  # type: ignore[no-untyped-def]
    svc = services(shared, encoder, bank, rate_limit_ip="3/minute", trusted_proxies=["10.0.0.0/8"])
    with TestClient(create_app(services=svc), base_url=BASE, client=("10.1.2.3", 4000)) as proxy:
        def get(xff: str) -> int:
            return proxy.get("/v1/questions", headers={"X-Forwarded-For": xff}).status_code

        assert [get("203.0.113.7") for _ in range(4)] == [200, 200, 200, 429]
        assert get("203.0.113.8") == 200  # another client behind the same proxy has its own bucket
        assert [get(f"198.51.100.{i}, 203.0.113.8") for i in range(3)] == [200, 200, 429]  # forged hops
    svc = services(shared, encoder, bank, rate_limit_ip="3/minute", trusted_proxies=["10.0.0.0/8"])
    with TestClient(create_app(services=svc), base_url=BASE, client=("192.0.2.50", 4000)) as direct:
        codes = [direct.get("/v1/questions", headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                 for i in range(20, 24)]
        assert codes == [200, 200, 200, 429]  # not a trusted proxy: its X-Forwarded-For is ignored


def test_anonymous_requests_cannot_lock_out_a_key_on_the_same_address(shared: Path, encoder, bank) -> None:  # type: ignore[no-untyped-def]
    svc = services(shared, encoder, bank, auth="on", rate_limit_ip="5/minute", rate_limit_anon="3/minute")
    key = partner_key(svc)
    with TestClient(create_app(services=svc), base_url=BASE, client=("192.0.2.60", 4000)) as c:
        anon = [c.get("/v1/questions").status_code for _ in range(8)]
        assert anon == [401, 401, 401, 429, 429, 429, 429, 429]
        assert c.get("/v1/questions", headers={"Authorization": "Bearer iv_x_forged"}).status_code == 429
        keyed = [c.get("/v1/questions", headers={"Authorization": f"Bearer {key}"}).status_code
                 for _ in range(6)]
        assert keyed == [200, 200, 200, 200, 200, 429]  # its own per-IP allowance, untouched


def test_websocket_pings_and_anonymous_frames_do_not_lock_out_a_partner(shared: Path, encoder, bank) -> None:  # type: ignore[no-untyped-def]
    svc = services(shared, encoder, bank, auth="on", ws_rate_limit="5/minute", rate_limit_anon="3/minute",
                   ws_rate_burst=1000)
    key = partner_key(svc)
    with TestClient(create_app(services=svc), base_url=BASE, client=("192.0.2.70", 4000)) as c:
        with c.websocket_connect("/v1/interviews/ws") as ws:
            for _ in range(50):
                ws.send_json({"type": "ping"})
                assert ws.receive_json()["type"] == "pong"
            codes = []
            for _ in range(5):
                ws.send_json({"type": "answer.submit", "text": "x"})
                codes.append(ws.receive_json()["code"])
            assert codes == ["no_session"] * 3 + ["rate_limited"] * 2
        headers = {"Authorization": f"Bearer {key}"}
        with c.websocket_connect("/v1/interviews/ws", headers=headers) as ws:
            ws.send_json({"type": "start", "num_questions": 1, "max_followups": 0})
            first = ws.receive_json()
            assert first["type"] == "session", first
