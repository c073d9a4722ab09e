"""Rate limits per API key and per client IP, with the `limits` library (memory, or Redis when set)."""

from __future__ import annotations

import logging
import time
from typing import cast

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from interviewer.errors import RateLimited
from interviewer.settings import Settings

log = logging.getLogger("interviewer.ratelimit")


def _items(spec: str) -> list[RateLimitItem]:
    return list(parse_many(spec)) if spec.strip() else []


class Limiter:
    """`check(scope, key_id=..., ip=...)` raises RateLimited (with retry_after) past a limit."""

    def __init__(self, settings: Settings) -> None:
        if settings.redis_url:
            uri = "async+" + settings.redis_url if "://" in settings.redis_url else settings.redis_url
            # A frame waits for its count: a connection that died with a Redis restart is replaced
            # and the count retried, but briefly (~1 s), and a silent server is given up on after
            # 2 s; past that the limiter fails open, logged (the limits' redis-py client would
            # otherwise wait forever on a read, and give up on the first dead connection).
            from interviewer.adapters.store.sessions_redis import client_options

            options = client_options(retries=3, socket_timeout=2.0)
            self.storage: Storage = cast(Storage, storage_from_string(uri, implementation="redispy",
                                                                      **options))
        else:
            self.storage = MemoryStorage()
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.limits: dict[str, list[RateLimitItem]] = {
            "rest:key": _items(settings.rate_limit),
            "rest:ip": _items(settings.rate_limit_ip),
            "ws:key": _items(settings.ws_rate_limit),
            "ws:ip": _items(settings.ws_rate_limit),
            "rest:anon": _items(settings.rate_limit_anon),
            "ws:anon": _items(settings.rate_limit_anon),
        }

    async def _hit(self, name: str, ident: str) -> None:
        for item in self.limits[name]:
            try:
                allowed = await self.strategy.hit(item, name, ident)
                if allowed:
                    continue
                stats = await self.strategy.get_window_stats(item, name, ident)
            except Exception:  # a limiter outage must not take the API down: fail open, loudly
                log.exception("ratelimit.unavailable", extra={"limit": name})
                return
            wait = max(1.0, stats.reset_time - time.time())
            raise RateLimited(f"rate limit {item} per {name.split(':')[1]} exceeded; retry later",
                              retry_after=round(wait, 1))

    async def check(self, scope: str, *, key_id: str | None, ip: str | None) -> None:
        """Count one request (scope "rest") or websocket message (scope "ws") for the key and IP."""
        if ip:
            await self._hit(f"{scope}:ip", ip)
        if key_id:
            await self._hit(f"{scope}:key", key_id)

    async def check_anon(self, scope: str, *, ip: str | None) -> None:
        """Count one unauthenticated request or message, in the IP's own, smaller bucket."""
        await self._hit(f"{scope}:anon", ip or "unknown")
