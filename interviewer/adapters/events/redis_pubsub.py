"""SessionEvents port on Redis pub/sub: channel `iv:ev:<session_id>`, JSON payloads."""

from __future__ import annotations

import json
from typing import Any, cast

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub

from interviewer.adapters.store.sessions_redis import make_client

SUBSCRIBE_TIMEOUT = 5.0
# A reader wakes at least this often to notice `aclose` from another task (a blocking read on a
# pub/sub connection closed under it is not woken by the close).
POLL_SECONDS = 1.0


def channel(session_id: str) -> str:
    return f"iv:ev:{session_id}"


class RedisSubscription:
    """One pub/sub connection on one session's channel; it resubscribes after a reconnect."""

    def __init__(self, hub: RedisSessionEvents, session_id: str) -> None:
        self._hub = hub
        self.channel = channel(session_id)
        self._pubsub: PubSub | None = None
        self._closed = False

    async def _join(self) -> PubSub:
        if self._pubsub is not None:
            return self._pubsub
        ps = self._hub.redis.pubsub()
        await ps.subscribe(self.channel)
        # Wait for the confirmation, so a publish after `async with` entry is never missed.
        while True:
            msg = await ps.get_message(timeout=SUBSCRIBE_TIMEOUT)
            if msg is None:
                await ps.aclose()  # type: ignore[no-untyped-call]
                raise TimeoutError(f"no subscribe confirmation on {self.channel}")
            if msg["type"] == "subscribe":
                break
        self._pubsub = ps
        self._hub._live.add(self)
        return ps

    async def __aenter__(self) -> RedisSubscription:
        await self._join()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __aiter__(self) -> RedisSubscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        if self._closed:
            raise StopAsyncIteration
        ps = await self._join()
        while True:
            msg = await ps.get_message(ignore_subscribe_messages=True, timeout=POLL_SECONDS)
            if self._closed:
                raise StopAsyncIteration
            if msg is not None and msg["type"] == "message":
                return cast(dict[str, Any], json.loads(msg["data"]))

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._hub._live.discard(self)
        if self._pubsub is not None:
            ps, self._pubsub = self._pubsub, None
            await ps.aclose()  # type: ignore[no-untyped-call]


class RedisSessionEvents:
    """Publishes over the shared client; each subscription holds one pub/sub connection."""

    def __init__(self, client: aioredis.Redis, *, owns_client: bool = True) -> None:
        self.redis = client
        self._owns_client = owns_client
        self._live: set[RedisSubscription] = set()

    @classmethod
    def from_url(cls, url: str) -> RedisSessionEvents:
        return cls(make_client(url))

    async def publish(self, session_id: str, message: dict[str, Any]) -> None:
        await self.redis.publish(channel(session_id), json.dumps(message))

    def subscribe(self, session_id: str) -> RedisSubscription:
        return RedisSubscription(self, session_id)

    async def close(self) -> None:
        for sub in list(self._live):
            await sub.aclose()
        if self._owns_client:
            await self.redis.aclose()
