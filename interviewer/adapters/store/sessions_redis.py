"""SessionStore port on Redis: a hash per session, a stream of its replayable messages, indexes.

Keys: `iv:s:<id>` (hash: state, last_seq, org, token hash, timestamps, phase, owner, top),
`iv:m:<id>` (stream; entry id `<seq>-0`, field `m` = the message JSON), `iv:sessions` and
`iv:org:<org>` (sorted sets scored by created_at), `iv:busy` (set: sessions waiting on grading or
follow-up selection), `iv:inst:<instance>` (a live instance's heartbeat, with a TTL), `iv:owed`
(hash: event id -> a webhook event a commit owes the outbox) and `iv:owed:due` (sorted set: event
id scored by when any instance may relay it). Writes that must be atomic are Lua scripts.
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any, cast

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import EqualJitterBackoff
from redis.exceptions import BusyLoadingError, ConnectionError, ResponseError, TimeoutError

from interviewer.errors import Busy, InvalidState, SessionNotFound, Superseded
from interviewer.service.records import OwedEvent, StoredSession

DEFAULT_STREAM_MAXLEN = 10_000
DEFAULT_FINISHED_TTL = 7 * 24 * 3600
GLOBAL_INDEX = "iv:sessions"
BUSY = "iv:busy"
OWED, OWED_DUE = "iv:owed", "iv:owed:due"

# KEYS: session, global index, org index. ARGV: id, org, state, last_seq, token hash, created,
# updated, phase. Re-running the same create (a retry after a lost reply) is a no-op.
_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  local same = redis.call('HMGET', KEYS[1], 'token', 'created_at')
  if same[1] == ARGV[5] and same[2] == ARGV[6] then return 0 end
  return -1
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'org', ARGV[2], 'state', ARGV[3],
  'last_seq', ARGV[4], 'token', ARGV[5], 'created_at', ARGV[6], 'updated_at', ARGV[7],
  'phase', ARGV[8], 'top', 0)
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
return 1
"""

# KEYS: session, stream, busy set, owed events, their due times. ARGV: owner ('' = none), state,
# last_seq, now, phase, maxlen, finished ttl, n, then n owed events (id, due_at, JSON), then
# (seq, body) pairs in increasing seq. Everything is checked before anything is written, because
# Redis does not roll back a script that fails half way.
# Returns 1 ok, -1 no session, -2 superseded, -3 a seq below the stream's top that is not stored.
_COMMIT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if ARGV[1] ~= '' then
  local holder = redis.call('HGET', KEYS[1], 'owner')
  if holder and holder ~= ARGV[1] then return -2 end
end
local top = tonumber(redis.call('HGET', KEYS[1], 'top') or '0')
local fresh = {}
local first = 9 + 3 * tonumber(ARGV[8])
for i = first, #ARGV, 2 do
  local seq = tonumber(ARGV[i])
  if seq > top then
    table.insert(fresh, i)
  elseif #redis.call('XRANGE', KEYS[2], ARGV[i] .. '-0', ARGV[i] .. '-0') == 0 then
    return -3
  end
end
for _, i in ipairs(fresh) do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], ARGV[i] .. '-0', 'm', ARGV[i + 1])
  top = tonumber(ARGV[i])
end
for i = 9, first - 1, 3 do
  if redis.call('HSETNX', KEYS[4], ARGV[i], ARGV[i + 2]) == 1 then
    redis.call('ZADD', KEYS[5], ARGV[i + 1], ARGV[i])
  end
end
local last = tonumber(redis.call('HGET', KEYS[1], 'last_seq') or '0')
local new = tonumber(ARGV[3])
if new > last then last = new end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'last_seq', last, 'updated_at', ARGV[4],
  'phase', ARGV[5], 'top', top)
if ARGV[5] == 'finished' then redis.call('EXPIRE', KEYS[2], ARGV[7], 'NX') end
local id = redis.call('HGET', KEYS[1], 'id')
if ARGV[5] == 'grading' or ARGV[5] == 'selecting' then
  redis.call('SADD', KEYS[3], id)
else
  redis.call('SREM', KEYS[3], id)
end
return 1
"""

# KEYS: session. ARGV: expected owner ('' = none), new owner.
_ADOPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if (redis.call('HGET', KEYS[1], 'owner') or '') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[2])
return 1
"""

# KEYS: owed events, their due times. ARGV: now, lease, limit. Returns the leased events' JSON.
_OWED_CLAIM = """
local out = {}
local due = tonumber(ARGV[1]) + tonumber(ARGV[2])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])) do
  local e = redis.call('HGET', KEYS[1], id)
  if e then
    redis.call('ZADD', KEYS[2], due, id)
    table.insert(out, e)
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
return out
"""

_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
return 1
"""


# KEYS: session, stream, global index, busy set. ARGV: id. The org index is named by the hash itself.
_DELETE = """
local org = redis.call('HGET', KEYS[1], 'org')
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('DEL', KEYS[2])
if not org then return 0 end
redis.call('ZREM', 'iv:org:' .. org, ARGV[1])
redis.call('DEL', KEYS[1])
return 1
"""


class StoreUnavailable(Busy):
    """Redis did not answer, even after the client's reconnect attempts (7-13 s)."""

    code = "store_unavailable"


@contextmanager
def _unavailable() -> Iterator[None]:
    try:
        yield
    except (ConnectionError, TimeoutError) as exc:  # BusyLoadingError is a ConnectionError
        raise StoreUnavailable("the session store is unavailable; retry shortly",
                               retry_after=2.0) from exc


def _session_key(session_id: str) -> str:
    return f"iv:s:{session_id}"


def _stream_key(session_id: str) -> str:
    return f"iv:m:{session_id}"


def _org_key(org_id: str) -> str:
    return f"iv:org:{org_id}"


def _decode(h: dict[str, str]) -> StoredSession:
    return StoredSession(
        session_id=h["id"], state=json.loads(h["state"]), last_seq=int(h["last_seq"]),
        resume_token_hash=h["token"], org_id=h["org"],
        created_at=float(h["created_at"]), updated_at=float(h["updated_at"]),
    )


def client_options(*, retries: int = 15, health_check_interval: int = 15,
                   socket_timeout: float = 10.0) -> dict[str, Any]:
    """redis-py options that ride out a restart: a dead pooled connection is replaced and the
    command retried (15 retries: 7-13 s, at most 1 s apart), and no read waits forever."""
    return {
        "retry": Retry(EqualJitterBackoff(cap=1.0, base=0.1), retries),
        "retry_on_error": [ConnectionError, TimeoutError, BusyLoadingError],
        "health_check_interval": health_check_interval, "socket_timeout": socket_timeout,
        "socket_connect_timeout": min(5.0, socket_timeout), "socket_keepalive": True,
    }


def make_client(url: str, *, retries: int = 15, health_check_interval: int = 15) -> aioredis.Redis:
    """A client that rides out a Redis restart: retries for 7-13 s, at most 1 s apart."""
    return aioredis.Redis.from_url(
        url, decode_responses=True,
        **client_options(retries=retries, health_check_interval=health_check_interval),
    )


class RedisSessionStore:
    """Durable once Redis has accepted the write (with AOF everysec: fsynced within ~1 s)."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        stream_maxlen: int = DEFAULT_STREAM_MAXLEN,
        finished_ttl: int = DEFAULT_FINISHED_TTL,
        owns_client: bool = True,
    ) -> None:
        self.redis = client
        self._owns_client = owns_client  # False: the client is shared, its owner closes it
        self.stream_maxlen = stream_maxlen
        self.finished_ttl = finished_ttl
        self._create = client.register_script(_CREATE)
        self._commit = client.register_script(_COMMIT)
        self._claim = client.register_script(_CLAIM)
        self._delete = client.register_script(_DELETE)
        self._adopt = client.register_script(_ADOPT)
        self._owed_claim = client.register_script(_OWED_CLAIM)
        # Commits of one session from this process go to Redis in call order: stream ids only grow.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        stream_maxlen: int = DEFAULT_STREAM_MAXLEN,
        finished_ttl: int = DEFAULT_FINISHED_TTL,
    ) -> RedisSessionStore:
        return cls(make_client(url), stream_maxlen=stream_maxlen, finished_ttl=finished_ttl)

    def _lock(self, session_id: str) -> asyncio.Lock:
        lock = self._locks.get(session_id)
        if lock is None:
            lock = self._locks[session_id] = asyncio.Lock()
        return lock

    async def create(self, session: StoredSession) -> None:
        with _unavailable():
            created = await self._create(
                keys=[_session_key(session.session_id), GLOBAL_INDEX, _org_key(session.org_id)],
                args=[session.session_id, session.org_id, json.dumps(session.state),
                      session.last_seq, session.resume_token_hash, repr(session.created_at),
                      repr(session.updated_at), session.state.get("phase", "asking")],
            )
        if created == -1:
            raise InvalidState(f"session {session.session_id!r} already exists")

    async def get(self, session_id: str) -> StoredSession | None:
        with _unavailable():
            h = cast(dict[str, str], await self.redis.hgetall(_session_key(session_id)))
        return _decode(h) if h else None

    async def commit(
        self,
        session_id: str,
        *,
        state: dict[str, Any],
        messages: Sequence[dict[str, Any]],
        last_seq: int,
        owner: str | None = None,
        owed: Sequence[OwedEvent] = (),
    ) -> None:
        args: list[str | int] = [
            owner or "", json.dumps(state), last_seq, repr(time.time()),
            str(state.get("phase", "")), self.stream_maxlen, self.finished_ttl, len(owed),
        ]
        for o in owed:
            args += [o.event_id, repr(o.due_at), json.dumps(asdict(o))]
        for m in sorted(messages, key=lambda m: int(m["seq"])):
            args += [int(m["seq"]), json.dumps(m)]
        async with self._lock(session_id):
            with _unavailable():
                result = await self._commit(
                    keys=[_session_key(session_id), _stream_key(session_id), BUSY, OWED, OWED_DUE],
                    args=args)
        if result == -1:
            raise SessionNotFound(f"no session {session_id!r}")
        if result == -2:
            raise Superseded("another connection holds this session now")
        if result == -3:
            raise InvalidState(f"session {session_id!r}: a message seq is below the stored log")

    async def claim(self, session_id: str, owner: str) -> None:
        with _unavailable():
            claimed = await self._claim(keys=[_session_key(session_id)], args=[owner])
        if claimed != 1:
            raise SessionNotFound(f"no session {session_id!r}")

    async def messages_after(self, session_id: str, last_seq: int) -> list[dict[str, Any]]:
        with _unavailable():
            entries = cast(list[tuple[str, dict[str, str]]], await self.redis.xrange(
                _stream_key(session_id), min=f"({last_seq}-0", max="+"))
        return [json.loads(fields["m"]) for _, fields in entries]

    async def list_sessions(
        self, *, org_id: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[StoredSession]:
        index = GLOBAL_INDEX if org_id is None else _org_key(org_id)
        if limit <= 0:
            return []
        with _unavailable():
            ids = cast(list[str], await self.redis.zrevrange(index, offset, offset + limit - 1))
            async with self.redis.pipeline(transaction=False) as pipe:
                for sid in ids:
                    pipe.hgetall(_session_key(sid))
                rows = cast(list[dict[str, str]], await pipe.execute())
        return [_decode(h) for h in rows if h]

    async def delete(self, session_id: str) -> bool:
        async with self._lock(session_id):
            with _unavailable():
                deleted = await self._delete(
                    keys=[_session_key(session_id), _stream_key(session_id), GLOBAL_INDEX, BUSY],
                    args=[session_id])
        return bool(deleted == 1)

    async def created_before(self, before: float, *, limit: int = 500) -> list[StoredSession]:
        if limit <= 0:
            return []
        with _unavailable():
            ids = cast(list[str], await self.redis.zrangebyscore(
                GLOBAL_INDEX, "-inf", f"({before!r}", start=0, num=limit))
            async with self.redis.pipeline(transaction=False) as pipe:
                for sid in ids:
                    pipe.hgetall(_session_key(sid))
                rows = cast(list[dict[str, str]], await pipe.execute())
        return [_decode(h) for h in rows if h]

    # ---- webhook events owed to the outbox (OwedEvents port) ----

    async def owed_claim(self, *, now: float, lease: float, limit: int) -> list[OwedEvent]:
        with _unavailable():
            raw = cast(list[str], await self._owed_claim(keys=[OWED, OWED_DUE],
                                                         args=[repr(now), repr(lease), limit]))
        return [OwedEvent(**{**json.loads(r), "due_at": now + lease}) for r in raw]

    async def owed_settle(self, event_ids: Sequence[str]) -> None:
        if not event_ids:
            return
        with _unavailable():
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hdel(OWED, *event_ids)
                pipe.zrem(OWED_DUE, *event_ids)
                await pipe.execute()

    # ---- orphaned work (OrphanedWork port) ----

    async def heartbeat(self, instance: str, *, ttl: float) -> None:
        with _unavailable():
            await self.redis.set(f"iv:inst:{instance}", "1", px=max(1, int(ttl * 1000)))

    async def orphaned(self, *, limit: int = 50) -> list[tuple[str, str | None]]:
        with _unavailable():
            ids = cast(list[str], await self.redis.srandmember(BUSY, 10 * limit))
            async with self.redis.pipeline(transaction=False) as pipe:
                for sid in ids:
                    pipe.hmget(_session_key(sid), ["owner", "phase"])
                rows = cast(list[list[str | None]], await pipe.execute())
            waiting = [(sid, owner) for sid, (owner, phase) in zip(ids, rows, strict=True)
                       if phase in ("grading", "selecting")]
            instances = sorted({o.split(":", 1)[0] for _, o in waiting if o})
            alive = cast(list[int], [await self.redis.exists(f"iv:inst:{i}") for i in instances])
        live = {i for i, n in zip(instances, alive, strict=True) if n}
        return [(sid, o) for sid, o in waiting if not o or o.split(":", 1)[0] not in live][:limit]

    async def adopt(self, session_id: str, *, expected_owner: str | None, owner: str) -> bool:
        with _unavailable():
            done = await self._adopt(keys=[_session_key(session_id)], args=[expected_owner or "", owner])
        return bool(done == 1)

    async def ping(self) -> bool:
        """True when Redis answers (for readiness checks)."""
        try:
            return bool(await self.redis.ping())
        except (ConnectionError, TimeoutError, ResponseError):
            return False

    async def close(self) -> None:
        if self._owns_client:
            await self.redis.aclose()
