"""The SessionEvents contract: in memory, and over a real redis-server with separate connections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from interviewer.adapters.events.memory import MemorySessionEvents
from interviewer.adapters.events.redis_pubsub import RedisSessionEvents
from interviewer.service.ports import SessionEvents
from tests.conftest import RedisServer

pytestmark = pytest.mark.asyncio

Factory = Callable[[], SessionEvents]


@pytest.fixture(params=["memory", "redis"])
async def pair(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[SessionEvents, SessionEvents]]:
    """A publisher and a subscriber: one shared hub in memory, two clients over Redis."""
    if request.param == "memory":
        hub = MemorySessionEvents()
        yield hub, hub
        await hub.close()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    pub, sub = RedisSessionEvents.from_url(server.url), RedisSessionEvents.from_url(server.url)
    yield pub, sub
    await pub.close()
    await sub.close()


async def take(sub: AsyncIterator[dict[str, object]], n: int) -> list[dict[str, object]]:
    return [await asyncio.wait_for(anext(sub), 5) for _ in range(n)]


async def test_subscriber_gets_messages_in_publish_order(
    pair: tuple[SessionEvents, SessionEvents],
) -> None:
    pub, sub = pair
    async with sub.subscribe("s1") as stream:
        for i in range(1, 101):
            await pub.publish("s1", {"seq": i, "type": "question", "text": f"q{i} ✓"})
        got = await take(stream, 100)
    assert [m["seq"] for m in got] == list(range(1, 101))
    assert got[41] == {"seq": 42, "type": "question", "text": "q42 ✓"}


async def test_sessions_are_separate_and_every_subscriber_gets_a_copy(
    pair: tuple[SessionEvents, SessionEvents],
) -> None:
    pub, sub = pair
    async with sub.subscribe("s1") as a, sub.subscribe("s1") as b, sub.subscribe("s2") as c:
        await pub.publish("s2", {"seq": 1, "for": "s2"})
        await pub.publish("s1", {"seq": 7, "for": "s1"})
        assert await take(a, 1) == [{"seq": 7, "for": "s1"}]
        assert await take(b, 1) == [{"seq": 7, "for": "s1"}]
        assert await take(c, 1) == [{"seq": 1, "for": "s2"}]


async def test_messages_before_subscribing_or_after_leaving_are_not_delivered(
    pair: tuple[SessionEvents, SessionEvents],
) -> None:
    pub, sub = pair
    await pub.publish("s1", {"seq": 1})
    async with sub.subscribe("s1") as stream:
        await pub.publish("s1", {"seq": 2})
        assert await take(stream, 1) == [{"seq": 2}]
    await pub.publish("s1", {"seq": 3})  # nobody listens: dropped, no error
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


async def test_iterating_directly_subscribes_on_first_read(
    pair: tuple[SessionEvents, SessionEvents],
) -> None:
    pub, sub = pair
    stream = sub.subscribe("s1")
    reader = asyncio.create_task(anext(stream))
    for _ in range(100):  # publish until the lazily joined subscriber hears one
        await pub.publish("s1", {"seq": 1})
        await asyncio.sleep(0.02)
        if reader.done():
            break
    assert (await asyncio.wait_for(reader, 5)) == {"seq": 1}
    await stream.aclose()


async def test_redis_subscriber_survives_a_redis_restart(redis_server: RedisServer) -> None:
    pub, sub = RedisSessionEvents.from_url(redis_server.url), RedisSessionEvents.from_url(
        redis_server.url)
    try:
        async with sub.subscribe("s1") as stream:
            await pub.publish("s1", {"seq": 1})
            assert await take(stream, 1) == [{"seq": 1}]
            reader = asyncio.create_task(anext(stream))
            await asyncio.sleep(0.1)
            redis_server.stop()
            redis_server.start()
            # pub/sub is at most once: publish until the resubscribed reader hears one
            for i in range(2, 200):
                await pub.publish("s1", {"seq": i})
                await asyncio.sleep(0.05)
                if reader.done():
                    break
            got = await asyncio.wait_for(reader, 5)
            assert isinstance(got["seq"], int) and got["seq"] >= 2
    finally:
        await pub.close()
        await sub.close()
