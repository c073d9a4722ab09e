"""AdminStore port on Redis, so that every instance sees the same keys, audit and webhooks.

Keys (prefix `iv:a:`): `key:<id>` (JSON) and `keys` (zset by created_at), `org-keys:<org>` (zset);
`audit:<session>` (list, RPUSH only); `hook:<id>` (JSON), `hooks:<org>` (zset); `dlv:<id>` (JSON),
`dlvs:<hook>` (zset by created_at, trimmed); `idem:<scope>:<key>` (JSON, SET NX with a TTL);
`meta:<session>` (JSON); `q:<org>` (hash question id -> JSON).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any, cast

import redis.asyncio as aioredis

from interviewer.adapters.store_redis import make_client
from interviewer.core.ports import (
    ApiKeyRecord,
    AuditEntry,
    DeliveryRecord,
    IdempotencyRecord,
    SessionMeta,
    WebhookRecord,
)

P = "iv:a:"
MAX_DELIVERIES = 1000


def _dump(obj: Any) -> str:
    return json.dumps(asdict(obj))


class RedisAdminStore:
    def __init__(self, client: aioredis.Redis) -> None:
        self.redis = client

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
        await self.redis.aclose()
