"""Revoking an API key against a real server with auth on: the sockets it opened get `key_revoked` and
close with 4401 (at once through the API; at their next message after a CLI revocation that no notice
reached), other keys' sockets go on, and the key's next request is refused."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from interviewer.api import ws as ws_module
from interviewer.service.auth import create_key
from interviewer.wiring import build_services
from tests.api.conftest import LiveServer, make_settings, serve

CLI = [str(Path(sys.executable).parent / "interviewer")]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, encoder, bank) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path_factory.mktemp("revoke"), auth="on", rate_limit="", rate_limit_ip="",
                             rate_limit_anon="", ws_rate_limit="")
    yield from serve(build_services(settings, encoder=encoder, bank=bank))


def new_key(live: LiveServer, role: str, org: str = "acme") -> tuple[str, str]:
    assert live.services.admin is not None
    record, key = asyncio.run(create_key(live.services.admin, role=role, org_id=org))
    return record.key_id, key


async def started(live: LiveServer, key: str) -> Any:
    """A socket that started an interview with `key` (in the Authorization header)."""
    ws = await websockets.connect(live.ws_url, additional_headers={"Authorization": f"Bearer {key}"})
    await ws.send(json.dumps({"type": "start", "num_questions": 1, "max_followups": 0}))
    while json.loads(await asyncio.wait_for(ws.recv(), 60))["type"] != "question":
        pass
    return ws


async def closed_with(ws: Any, timeout: float = 10) -> tuple[list[dict[str, Any]], int | None]:
    got: list[dict[str, Any]] = []
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            got.append(json.loads(await asyncio.wait_for(ws.recv(), timeout)))
    rcvd = closed.value.rcvd
    return got, rcvd.code if rcvd else None


def test_revoking_a_key_closes_its_sockets_at_once(live: LiveServer) -> None:
    _, admin_key = new_key(live, "admin")
    victim_id, victim = new_key(live, "partner")
    _, other = new_key(live, "partner")

    async def run() -> tuple[list[dict[str, Any]], int | None, dict[str, Any]]:
        doomed, kept = await started(live, victim), await started(live, other)
        async with httpx.AsyncClient(base_url=live.base_url, timeout=60) as c:
            r = await c.delete(f"/v1/keys/{victim_id}", headers={"Authorization": f"Bearer {admin_key}"})
            assert r.status_code == 204
        got, code = await closed_with(doomed)  # without sending anything: the server closes it
        await kept.send(json.dumps({"type": "ping"}))
        pong = json.loads(await asyncio.wait_for(kept.recv(), 10))
        await kept.close()
        return got, code, pong

    got, code, pong = asyncio.run(run())
    assert [m["code"] for m in got if m["type"] == "error"] == ["key_revoked"] and code == 4401
    assert pong["type"] == "pong"
    r = httpx.get(live.base_url + "/v1/questions", headers={"Authorization": f"Bearer {victim}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_a_cli_revocation_closes_the_socket_at_its_next_message(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ws_module, "KEY_RECHECK", 0.5, raising=False)
    victim_id, victim = new_key(live, "recruiter")

    async def run() -> tuple[list[dict[str, Any]], int | None]:
        ws = await started(live, victim)
        env = {k: v for k, v in os.environ.items() if not k.startswith("INTERVIEWER_")}
        env.update(INTERVIEWER_DATA_DIR=str(live.services.settings.data_dir), INTERVIEWER_STORE="sqlite")
        out = await asyncio.to_thread(subprocess.run, [*CLI, "keys", "revoke", victim_id], capture_output=True,
                                      text=True, env=env, timeout=120, check=False)
        assert out.returncode == 0, out.stderr
        await asyncio.sleep(0.6)
        await ws.send(json.dumps({"type": "answer.delta", "text": "still here?"}))
        return await closed_with(ws)

    got, code = asyncio.run(run())
    assert [m["code"] for m in got if m["type"] == "error"] == ["key_revoked"] and code == 4401
