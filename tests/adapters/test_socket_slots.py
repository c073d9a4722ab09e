"""The SocketSlots contract: open websockets per client address, in memory for one process and over
a real redis-server shared by two instances (each with its own client), with slots that expire
unless their holder renews them."""

from __future__ import annotations

import asyncio
import time

import pytest

from interviewer.adapters.ratelimit.slots_memory import MemorySocketSlots
from interviewer.adapters.ratelimit.slots_redis import RedisSocketSlots
from interviewer.adapters.store.sessions_redis import make_client
from tests.conftest import RedisServer

pytestmark = pytest.mark.asyncio

TTL = 2.0


async def until_acquired(slots: RedisSocketSlots, ip: str, slot: str, *, limit: int) -> None:
    """Poll until the slot is granted (a generous deadline: the wait is bounded by the TTL)."""
    deadline = time.monotonic() + 30
    while not await slots.acquire(ip, slot, limit=limit):
        assert time.monotonic() < deadline, "the slot never came back"
        await asyncio.sleep(0.1)


async def test_memory_counts_per_address_and_frees_on_release() -> None:
    slots = MemorySocketSlots()
    assert await slots.acquire("1.1.1.1", "a", limit=2)
    assert await slots.acquire("1.1.1.1", "b", limit=2)
    assert not await slots.acquire("1.1.1.1", "c", limit=2)
    assert await slots.acquire("2.2.2.2", "c", limit=2)  # another address has its own count
    await slots.release("1.1.1.1", "a")
    assert await slots.acquire("1.1.1.1", "c", limit=2)


async def test_the_cap_holds_across_two_instances(redis_server: RedisServer) -> None:
    a = RedisSocketSlots(make_client(redis_server.url), ttl=30, owns_client=True)
    b = RedisSocketSlots(make_client(redis_server.url), ttl=30, owns_client=True)
    try:
        assert await a.acquire("203.0.113.5", "a1", limit=3)
        assert await b.acquire("203.0.113.5", "b1", limit=3)
        assert await a.acquire("203.0.113.5", "a2", limit=3)
        assert not await b.acquire("203.0.113.5", "b2", limit=3)
        assert not await a.acquire("203.0.113.5", "a3", limit=3)
        assert await b.acquire("203.0.113.6", "b2", limit=3)  # another address is not affected
        assert await a.acquire("203.0.113.5", "a1", limit=3)  # a slot already held is kept, not doubled
        await a.release("203.0.113.5", "a1")
        assert await b.acquire("203.0.113.5", "b3", limit=3)
        assert not await a.acquire("203.0.113.5", "a4", limit=3)
    finally:
        await a.close()
        await b.close()


async def test_renewed_slots_stay_and_a_dead_holders_slots_expire(redis_server: RedisServer) -> None:
    alive = RedisSocketSlots(make_client(redis_server.url), ttl=TTL, owns_client=True)
    dead = RedisSocketSlots(make_client(redis_server.url), ttl=TTL, owns_client=True)
    other = RedisSocketSlots(make_client(redis_server.url), ttl=TTL, owns_client=True)
    ip = "198.51.100.7"
    try:
        assert await alive.acquire(ip, "alive", limit=2)
        assert await dead.acquire(ip, "dead", limit=2)  # its holder never renews: it "was killed"
        assert not await other.acquire(ip, "new", limit=2)
        for _ in range(8):  # 2 TTLs, renewed four times a TTL (the app: three)
            await asyncio.sleep(TTL / 4)
            await alive.renew([(ip, "alive")])
        # the dead holder's slot is gone; the renewed one still counts
        assert await other.acquire(ip, "new", limit=2)
        assert not await other.acquire(ip, "more", limit=2)
        # renewing a released slot does not bring it back
        await alive.release(ip, "alive")
        await alive.renew([(ip, "alive")])
        await until_acquired(other, ip, "more", limit=2)
        assert not await alive.acquire(ip, "alive", limit=2)
    finally:
        for s in (alive, dead, other):
            await s.close()


async def test_a_dead_instances_slots_come_back_after_the_ttl(redis_server: RedisServer) -> None:
    dead = RedisSocketSlots(make_client(redis_server.url), ttl=TTL, owns_client=True)
    live = RedisSocketSlots(make_client(redis_server.url), ttl=TTL, owns_client=True)
    ip = "198.51.100.8"
    try:
        assert await dead.acquire(ip, "d1", limit=2) and await dead.acquire(ip, "d2", limit=2)
        await dead.close()  # gone without releasing
        assert not await live.acquire(ip, "l1", limit=2)
        await until_acquired(live, ip, "l1", limit=2)
        assert await live.acquire(ip, "l2", limit=2)
        assert not await live.acquire(ip, "l3", limit=2)
    finally:
        await live.close()
