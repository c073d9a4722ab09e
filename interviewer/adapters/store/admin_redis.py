"""AdminStore port on Redis, so that every instance sees the same keys, audit and webhooks.

Keys (prefix `iv:a:`): `key:<id>` (JSON) and `keys` (zset by created_at), `org-keys:<org>` (zset);
`audit:<session>` (list, RPUSH only); `hook:<id>` (JSON), `hooks:<org>` (zset); `dlv:<id>` (JSON),
`dlvs:<hook>` (zset by created_at, trimmed); `idem:<scope>:<key>` (JSON, SET NX with a TTL);
`meta:<session>` (JSON); `q:<org>` (hash question id -> JSON).
Webhook outbox: `ob:q:<hook>` (list of delivery ids, oldest first), `ob:e:<delivery>` (JSON entry),
`ob:due` (zset hook -> when its first entry is due; a claim moves it `lease` seconds ahead), `ob:n`
(entries in all). Each outbox operation is one Lua script, so it is atomic across instances.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any, cast

import redis.asyncio as aioredis

from interviewer.adapters.store.sessions_redis import make_client
from interviewer.service.records import (
    ApiKeyRecord,
    AuditEntry,
    DeliveryRecord,
    IdempotencyRecord,
    OutboxEntry,
    SessionMeta,
    WebhookRecord,
)

P = "iv:a:"
MAX_DELIVERIES = 1000

# ARGV: prefix, limit, now, then (hook, delivery id, entry JSON) per entry. An entry whose delivery
# id is already waiting is skipped (a relay that ran twice).
_OB_ADD = """
local p, limit, now = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local new = {}
for i = 4, #ARGV, 3 do
  if redis.call('EXISTS', p .. 'ob:e:' .. ARGV[i + 1]) == 0 then table.insert(new, i) end
end
if tonumber(redis.call('GET', p .. 'ob:n') or '0') + #new > limit then return 0 end
for _, i in ipairs(new) do
  redis.call('RPUSH', p .. 'ob:q:' .. ARGV[i], ARGV[i + 1])
  redis.call('SET', p .. 'ob:e:' .. ARGV[i + 1], ARGV[i + 2])
  redis.call('ZADD', p .. 'ob:due', 'NX', now, ARGV[i])
end
redis.call('INCRBY', p .. 'ob:n', #new)
return 1
"""
# ARGV: prefix, now, lease, limit. Returns the leased entries' JSON.
_OB_CLAIM = """
local p, now, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for _, hook in ipairs(redis.call('ZRANGEBYSCORE', p .. 'ob:due', '-inf', now, 'LIMIT', 0, ARGV[4])) do
  local id = redis.call('LINDEX', p .. 'ob:q:' .. hook, 0)
  if id then
    redis.call('ZADD', p .. 'ob:due', now + lease, hook)
    local e = redis.call('GET', p .. 'ob:e:' .. id)
    if e then table.insert(out, e) end
  else
    redis.call('ZREM', p .. 'ob:due', hook)
  end
end
return out
"""
# ARGV: prefix, hook, delivery id, entry JSON, due_at. Only while the entry is first in line.
_OB_RETRY = """
local p = ARGV[1]
if redis.call('LINDEX', p .. 'ob:q:' .. ARGV[2], 0) ~= ARGV[3] then return 0 end
redis.call('SET', p .. 'ob:e:' .. ARGV[3], ARGV[4])
redis.call('ZADD', p .. 'ob:due', ARGV[5], ARGV[2])
return 1
"""
# ARGV: prefix, hook, delivery id, now. Only while the entry is first in line (a late duplicate
# from an instance whose lease ran out does nothing).
_OB_DONE = """
local p, q = ARGV[1], ARGV[1] .. 'ob:q:' .. ARGV[2]
if redis.call('LINDEX', q, 0) ~= ARGV[3] then return 0 end
redis.call('LPOP', q)
redis.call('DEL', p .. 'ob:e:' .. ARGV[3])
redis.call('DECR', p .. 'ob:n')
if redis.call('LLEN', q) > 0 then
  redis.call('ZADD', p .. 'ob:due', ARGV[4], ARGV[2])
else
  redis.call('ZREM', p .. 'ob:due', ARGV[2])
end
return 1
"""


def _dump(obj: Any) -> str:
    return json.dumps(asdict(obj))


class RedisAdminStore:
    def __init__(self, client: aioredis.Redis, *, owns_client: bool = True) -> None:
        self.redis = client
        self._owns_client = owns_client  # False: the client is shared, its owner closes it

    @classmethod
    def from_url(cls, url: str) -> RedisAdminStore:
        return cls(make_client(url))  # rides out a Redis restart, as the session store does

    async def _get_json(self, key: str) -> dict[str, Any] | None:
        raw = cast(str | None, await self.redis.get(key))
        return json.loads(raw) if raw else None

    # ---- keys ----

    async def create_key(self, key: ApiKeyRecord) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(f"{P}key:{key.key_id}", _dump(key), nx=True)
            pipe.zadd(f"{P}keys", {key.key_id: key.created_at})
            pipe.zadd(f"{P}org-keys:{key.org_id}", {key.key_id: key.created_at})
            await pipe.execute()

    async def get_key(self, key_id: str) -> ApiKeyRecord | None:
        d = await self._get_json(f"{P}key:{key_id}")
        return ApiKeyRecord(**d) if d else None

    async def list_keys(self, *, org_id: str | None = None) -> list[ApiKeyRecord]:
        index = f"{P}keys" if org_id is None else f"{P}org-keys:{org_id}"
        ids = cast(list[str], await self.redis.zrange(index, 0, -1))
        keys = [await self.get_key(i) for i in ids]
        return [k for k in keys if k is not None]

    async def _update_key(self, key_id: str, **changes: Any) -> bool:
        key = await self.get_key(key_id)
        if key is None:
            return False
        await self.redis.set(f"{P}key:{key_id}", _dump(replace(key, **changes)), xx=True)
        return True

    async def revoke_key(self, key_id: str, *, at: float) -> bool:
        key = await self.get_key(key_id)
        if key is None:
            return False
        return await self._update_key(key_id, revoked_at=key.revoked_at or at)

    async def touch_key(self, key_id: str, *, at: float) -> None:
        key = await self.get_key(key_id)
        # Never resurrect a key revoked between the read and this write.
        if key is not None and key.revoked_at is None:
            await self._update_key(key_id, last_used_at=at)

    # ---- audit ----

    async def append_audit(self, entry: AuditEntry) -> None:
        await self.redis.rpush(f"{P}audit:{entry.session_id}", _dump(entry))

    async def list_audit(self, session_id: str) -> list[AuditEntry]:
        raw = cast(list[str], await self.redis.lrange(f"{P}audit:{session_id}", 0, -1))
        return [AuditEntry(**json.loads(r)) for r in raw]

    # ---- webhooks and deliveries ----

    async def create_webhook(self, hook: WebhookRecord) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(f"{P}hook:{hook.webhook_id}", _dump(hook))
            pipe.zadd(f"{P}hooks:{hook.org_id}", {hook.webhook_id: hook.created_at})
            await pipe.execute()

    async def get_webhook(self, webhook_id: str) -> WebhookRecord | None:
        d = await self._get_json(f"{P}hook:{webhook_id}")
        if d is None:
            return None
        d["events"] = tuple(d["events"])
        return WebhookRecord(**d)

    async def list_webhooks(self, *, org_id: str) -> list[WebhookRecord]:
        ids = cast(list[str], await self.redis.zrange(f"{P}hooks:{org_id}", 0, -1))
        hooks = [await self.get_webhook(i) for i in ids]
        return [h for h in hooks if h is not None]

    async def delete_webhook(self, webhook_id: str) -> bool:
        hook = await self.get_webhook(webhook_id)
        if hook is None:
            return False
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(f"{P}hook:{webhook_id}")
            pipe.zrem(f"{P}hooks:{hook.org_id}", webhook_id)
            await pipe.execute()
        return True

    async def save_delivery(self, delivery: DeliveryRecord) -> None:
        index = f"{P}dlvs:{delivery.webhook_id}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(f"{P}dlv:{delivery.delivery_id}", _dump(delivery), ex=30 * 24 * 3600)
            pipe.zadd(index, {delivery.delivery_id: delivery.created_at})
            pipe.zremrangebyrank(index, 0, -MAX_DELIVERIES - 1)
            await pipe.execute()

    async def list_deliveries(self, webhook_id: str, *, limit: int = 50) -> list[DeliveryRecord]:
        ids = cast(list[str], await self.redis.zrevrange(f"{P}dlvs:{webhook_id}", 0, limit - 1))
        out = []
        for i in ids:
            d = await self._get_json(f"{P}dlv:{i}")
            if d is not None:
                out.append(DeliveryRecord(**d))
        return out

    # ---- webhook outbox (WebhookOutbox port) ----

    async def _script(self, source: str, *args: Any) -> Any:
        return await self.redis.eval(source, 0, P, *args)

    async def outbox_add(self, entries: Sequence[OutboxEntry], *, now: float, limit: int) -> bool:
        args: list[Any] = [limit, repr(now)]
        for e in entries:
            args += [e.webhook_id, e.delivery_id, _dump(e)]
        return bool(await self._script(_OB_ADD, *args))

    async def outbox_claim(self, *, now: float, lease: float, limit: int) -> list[OutboxEntry]:
        raw = cast(list[str], await self._script(_OB_CLAIM, repr(now), repr(lease), limit))
        return [OutboxEntry(**json.loads(r)) for r in raw]

    async def outbox_retry(self, entry: OutboxEntry, *, due_at: float) -> None:
        await self._script(_OB_RETRY, entry.webhook_id, entry.delivery_id, _dump(entry), repr(due_at))

    async def outbox_done(self, entry: OutboxEntry, *, now: float) -> None:
        await self._script(_OB_DONE, entry.webhook_id, entry.delivery_id, repr(now))

    async def outbox_size(self) -> int:
        return int(cast(str | None, await self.redis.get(f"{P}ob:n")) or 0)

    # ---- idempotency ----

    async def idem_reserve(
        self, scope: str, key: str, request_hash: str, *, ttl: float
    ) -> IdempotencyRecord | None:
        name = f"{P}idem:{scope}:{key}"
        fresh = _dump(IdempotencyRecord(request_hash))
        if await self.redis.set(name, fresh, nx=True, px=max(1, int(ttl * 1000))):
            return None
        d = await self._get_json(name)
        if d is None:  # expired between the two calls: try once more
            return await self.idem_reserve(scope, key, request_hash, ttl=ttl)
        return IdempotencyRecord(**d)

    async def idem_complete(self, scope: str, key: str, record: IdempotencyRecord, *, ttl: float) -> None:
        await self.redis.set(f"{P}idem:{scope}:{key}", _dump(record), px=max(1, int(ttl * 1000)))

    async def idem_release(self, scope: str, key: str) -> None:
        await self.redis.delete(f"{P}idem:{scope}:{key}")

    # ---- sessions' metadata and org questions ----

    async def put_session_meta(self, meta: SessionMeta) -> None:
        await self.redis.set(f"{P}meta:{meta.session_id}", _dump(meta))

    async def get_session_metas(self, session_ids: Sequence[str]) -> dict[str, SessionMeta]:
        ids = list(session_ids)
        if not ids:
            return {}
        raw = cast(list[str | None], await self.redis.mget([f"{P}meta:{i}" for i in ids]))
        return {i: SessionMeta(**json.loads(r)) for i, r in zip(ids, raw, strict=True) if r}

    async def delete_session_meta(self, session_id: str) -> None:
        await self.redis.delete(f"{P}meta:{session_id}")

    async def put_question(self, org_id: str, question_id: str, doc: dict[str, Any]) -> None:
        await self.redis.hset(f"{P}q:{org_id}", question_id, json.dumps(doc))

    async def get_question(self, org_id: str, question_id: str) -> dict[str, Any] | None:
        raw = cast(str | None, await self.redis.hget(f"{P}q:{org_id}", question_id))
        return json.loads(raw) if raw else None

    async def close(self) -> None:
        if self._owns_client:
            await self.redis.aclose()
