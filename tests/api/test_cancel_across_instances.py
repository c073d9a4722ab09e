"""Two app instances sharing one real redis-server (auth on): deleting an interview or revoking a key
on one instance closes the socket that another instance holds, through the Redis events channel."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import websockets

from interviewer.adapters.store.admin_redis import RedisAdminStore
from interviewer.service.auth import create_key
from interviewer.wiring import build_services
from tests.api.conftest import LiveServer, make_settings, serve
from tests.conftest import RedisServer


@dataclass
class Pair:
    a: LiveServer
    b: LiveServer
    recruiter: str
    admin: str


@pytest.fixture
def pair(tmp_path, encoder, bank, redis_server: RedisServer) -> Iterator[Pair]:  # type: ignore[no-untyped-def]
    def services(name: str) -> Any:
        settings = make_settings(tmp_path / name, auth="on", store="redis", redis_url=redis_server.url,
                                 rate_limit="", rate_limit_ip="", rate_limit_anon="", ws_rate_limit="")
        return build_services(settings, encoder=encoder, bank=bank)

    svc_a, svc_b = services("a"), services("b")

    async def keys() -> tuple[str, str]:
        admin = RedisAdminStore.from_url(redis_server.url)  # its own client: the servers' run on their loops
        try:
            _, rec = await create_key(admin, role="recruiter", org_id="acme")
            _, adm = await create_key(admin, role="admin", org_id="acme")
        finally:
            await admin.close()
        return rec, adm

    recruiter, admin = asyncio.run(keys())
    with ExitStack() as stack:
        gen_a, gen_b = serve(svc_a), serve(svc_b)
        a, b = next(gen_a), next(gen_b)
        stack.callback(lambda: next(gen_a, None))
        stack.callback(lambda: next(gen_b, None))
        yield Pair(a, b, recruiter, admin)


async def until(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        msg: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if msg["type"] == kind:
            return msg


async def closed(ws: Any) -> tuple[list[str], int | None]:
    codes: list[str] = []
    with pytest.raises(websockets.ConnectionClosed) as exc:
        while True:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if msg["type"] == "error":
                codes.append(msg["code"])
    return codes, exc.value.rcvd.code if exc.value.rcvd else None


def test_delete_on_one_instance_closes_the_candidate_socket_on_the_other(pair: Pair) -> None:
    async def run() -> tuple[list[str], int | None]:
        async with httpx.AsyncClient(timeout=60, headers={"Authorization": f"Bearer {pair.recruiter}"}) as c:
            made = (await c.post(pair.a.base_url + "/v1/interviews", json={"num_questions": 1})).json()
            async with websockets.connect(pair.a.ws_url) as ws:  # the candidate is on A
                await ws.send(json.dumps({"type": "start", "session_id": made["session_id"],
                                          "token": made["candidate_token"]}))
                await until(ws, "question")
                r = await c.delete(pair.b.base_url + f"/v1/interviews/{made['session_id']}")  # on B
                assert r.status_code == 204
                return await closed(ws)

    codes, code = asyncio.run(run())
    assert codes == ["session_deleted"] and code == 4410


def test_revoking_on_one_instance_closes_the_keys_socket_on_the_other(pair: Pair) -> None:
    async def run() -> tuple[list[str], int | None]:
        async with websockets.connect(pair.a.ws_url,
                                      additional_headers={"Authorization": f"Bearer {pair.recruiter}"}) as ws:
            await ws.send(json.dumps({"type": "start", "num_questions": 1}))
            await until(ws, "question")
            key_id = pair.recruiter.split("_")[1]
            async with httpx.AsyncClient(timeout=60, headers={"Authorization": f"Bearer {pair.admin}"}) as c:
                assert (await c.delete(pair.b.base_url + f"/v1/keys/{key_id}")).status_code == 204
            return await closed(ws)

    codes, code = asyncio.run(run())
    assert codes == ["key_revoked"] and code == 4401
