"""The per-address websocket cap (INTERVIEWER_WS_MAX_PER_IP) across two instances on one real
redis-server: instance A is an `interviewer serve` process, B runs in this process. The cap holds
across both while A keeps renewing its sockets' slots; once A is killed with SIGKILL, its slots come
back after INTERVIEWER_INSTANCE_TTL."""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
import websockets

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.ratelimit.slots_redis import slots_key
from interviewer.wiring import build_services
from tests.api.conftest import LiveServer, make_settings, serve
from tests.conftest import REPO, RedisServer
from tests.scaleout.procs import AppProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

# Seconds a dead instance's slots still count. Each instance renews its slots every TTL/3, so a slot
# expires only if its instance's loop stalls for 2/3 TTL: 4 s (a 2.7 s stall) failed one CI run
# of stop 37 on a loaded machine, with the cap at that point not held.
TTL = 9.0


async def pong(ws: Any) -> None:
    await ws.send(json.dumps({"type": "ping"}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 30))["type"] == "pong"


async def refused(url: str) -> bool:
    """True when a new socket gets `too_many_connections` and 1013; False when it is served."""
    async with websockets.connect(url) as ws:
        try:
            await ws.send(json.dumps({"type": "ping"}))
        except websockets.ConnectionClosed as closed:
            # The refusal can arrive, and close the socket, before the ping is sent.
            assert closed.rcvd is not None and closed.rcvd.code == 1013, closed
            return True
        msg = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if msg["type"] == "pong":
            return False
        assert msg["type"] == "error" and msg["code"] == "too_many_connections", msg
        with pytest.raises(websockets.ConnectionClosed) as gone:
            await asyncio.wait_for(ws.recv(), 30)
        assert gone.value.rcvd is not None and gone.value.rcvd.code == 1013
        return True


async def slots_now(redis_url: str) -> str:
    """The address's slots and their time left on Redis' clock (for a failure's message)."""
    redis: Any = aioredis.from_url(redis_url)
    try:
        secs, micros = await redis.time()
        held = await redis.zrange(slots_key("127.0.0.1"), 0, -1, withscores=True)
    finally:
        await redis.aclose()
    now = secs * 1000 + micros // 1000
    return f"slots (ms left): {[(slot, int(score - now)) for slot, score in held]}"


async def scenario(a: AppProcess, b: LiveServer, redis_url: str) -> None:
    async with websockets.connect(b.ws_url) as on_b:
        one_on_a = await websockets.connect(a.ws_url)
        await pong(one_on_a)
        await pong(on_b)
        # one socket on each instance: the address is at its cap of two on both
        assert await refused(b.ws_url)
        assert await refused(a.ws_url)
        # A renews its slot: past several TTLs it still counts on B
        end = time.monotonic() + 2.5 * TTL
        while time.monotonic() < end:
            await asyncio.sleep(TTL / 4)
            await pong(one_on_a)
            await pong(on_b)
        assert await refused(b.ws_url), await slots_now(redis_url)
        a.kill9()  # its socket is gone without a release
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(one_on_a.recv(), 30)
        # A's slot comes back after the TTL
        deadline = time.monotonic() + 60
        while await refused(b.ws_url):
            assert time.monotonic() < deadline, "the killed instance's slot never came back"
            await asyncio.sleep(0.5)
        async with websockets.connect(b.ws_url) as again:
            await pong(again)
            assert await refused(b.ws_url)  # B's two sockets fill the cap again


def test_cap_across_instances_and_a_killed_instances_slots_expire(  # type: ignore[no-untyped-def]
        tmp_path: Path, encoder, redis_server: RedisServer) -> None:
    env = {"INTERVIEWER_WS_MAX_PER_IP": "2", "INTERVIEWER_INSTANCE_TTL": str(TTL)}
    a = AppProcess("a", tmp_path / "a", redis_server.url, tmp_path / "data-a", env=env)
    svc_b = build_services(make_settings(tmp_path / "b", store="redis", redis_url=redis_server.url,
                                         ws_max_per_ip=2, instance_ttl=TTL),
                           encoder=encoder, bank=YamlQuestionBank.load([REPO]))
    a.start()
    try:
        a.wait_ready()
        with contextmanager(serve)(svc_b) as b:
            asyncio.run(scenario(a, b, redis_server.url))
    finally:
        if a.proc is not None:
            print(a.tail())
        a.stop()
