"""SocketSlots port on Redis: open websockets per client address, counted across instances.

Key `iv:ws:ip:<address>`: a sorted set of the address's slots (one per open socket, named
`<instance>:<socket>`), each scored by the Redis clock time (ms) at which it expires unless renewed.
A slot past its time no longer counts and is dropped on the next acquire, so the sockets of an
instance killed without releasing them stop counting after the time to live.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

log = logging.getLogger("interviewer.ws")

# KEYS: the address's set. ARGV: slot, limit, ttl (ms). 1 taken (or already held), 0 full.
# The Redis clock serves every instance, so their own clocks need not agree.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1])
   and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: the sets; ARGV: ttl (ms), then one slot per key. Only slots still there are renewed (XX):
# a socket released while this ran is not brought back.
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  if redis.call('ZADD', key, 'XX', 'CH', now + ttl, ARGV[i + 1]) == 1 then
    redis.call('PEXPIRE', key, ttl)
  end
end
return 0
"""


def slots_key(ip: str) -> str:
    return f"iv:ws:ip:{ip}"


class RedisSocketSlots:
    """Per-address socket slots shared by every instance on one Redis; a Redis outage fails open
    (logged), as the rate limits do: the service stays up without the cap."""

    def __init__(self, redis: Any, *, ttl: float, owns_client: bool = False) -> None:
        self.redis = redis
        self.owns_client = owns_client
        self.ttl_ms = max(1, int(ttl * 1000))
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)

    async def acquire(self, ip: str, slot: str, *, limit: int) -> bool:
        try:
            return bool(await self._acquire(keys=[slots_key(ip)], args=[slot, limit, self.ttl_ms]))
        except Exception:  # no count without Redis: let the socket in rather than refuse everyone
            log.warning("ws.slots_unavailable", exc_info=True)
            return True

    async def release(self, ip: str, slot: str) -> None:
        try:
            await self.redis.zrem(slots_key(ip), slot)
        except Exception:  # the slot expires by itself after the time to live
            log.warning("ws.slots_unavailable", exc_info=True)

    async def renew(self, held: Sequence[tuple[str, str]]) -> None:
        """Raises when Redis is unreachable (the caller logs it and tries again)."""
        for start in range(0, len(held), 500):  # bounded scripts, however many sockets are open
            batch = held[start:start + 500]
            await self._renew(keys=[slots_key(ip) for ip, _ in batch],
                              args=[self.ttl_ms, *(slot for _, slot in batch)])

    async def close(self) -> None:
        if self.owns_client:
            await self.redis.aclose()
