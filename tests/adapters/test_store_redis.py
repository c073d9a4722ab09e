"""What only the Redis store does: the stream TTL after finishing, retries, restarts, trimming."""

from __future__ import annotations

import time

import pytest

from interviewer.adapters.store.sessions_redis import RedisSessionStore, StoreUnavailable, make_client
from interviewer.errors import InvalidState
from interviewer.service.records import StoredSession
from tests.conftest import RedisServer

pytestmark = pytest.mark.asyncio


def make_session(sid: str = "s1") -> StoredSession:
    now = time.time()
    return StoredSession(sid, {"phase": "asking"}, 0, "hash", "default", now, now)


async def test_finishing_sets_a_ttl_on_the_messages_only(redis_server: RedisServer) -> None:
    store = RedisSessionStore.from_url(redis_server.url, finished_ttl=3600)
    try:
        await store.create(make_session())
        await store.commit("s1", state={"phase": "asking"}, messages=[{"seq": 1}], last_seq=1)
        assert await store.redis.ttl("iv:m:s1") == -1
        await store.commit("s1", state={"phase": "finished"}, messages=[{"seq": 2}], last_seq=2)
        ttl = await store.redis.ttl("iv:m:s1")
        assert 3590 <= ttl <= 3600
        assert await store.redis.ttl("iv:s:s1") == -1
        await store.redis.expire("iv:m:s1", 100)
        await store.commit("s1", state={"phase": "finished"}, messages=[], last_seq=2)
        assert await store.redis.ttl("iv:m:s1") <= 100  # a later commit does not extend it
    finally:
        await store.close()


async def test_a_retried_commit_or_create_is_a_no_op(redis_server: RedisServer) -> None:
    store = RedisSessionStore.from_url(redis_server.url)
    try:
        s = make_session()
        await store.create(s)
        await store.create(s)  # the same create again: a retry after a lost reply
        with pytest.raises(InvalidState):
            await store.create(StoredSession("s1", {}, 0, "other", "default", 1.0, 1.0))
        for _ in range(2):
            await store.commit("s1", state={"phase": "asking"},
                               messages=[{"seq": 1, "t": "a"}, {"seq": 2, "t": "b"}], last_seq=2)
        assert [m["seq"] for m in await store.messages_after("s1", 0)] == [1, 2]
        await store.commit("s1", state={"phase": "asking"}, messages=[{"seq": 5}], last_seq=5)
        with pytest.raises(InvalidState):  # below the log's top and never stored: refused whole
            await store.commit("s1", state={"phase": "lost"}, messages=[{"seq": 3}], last_seq=3)
        got = await store.get("s1")
        assert got is not None and got.state == {"phase": "asking"} and got.last_seq == 5
    finally:
        await store.close()


async def test_the_stream_is_trimmed_to_about_maxlen(redis_server: RedisServer) -> None:
    store = RedisSessionStore.from_url(redis_server.url, stream_maxlen=100)
    try:
        await store.create(make_session())
        for seq in range(1, 1001):
            await store.commit("s1", state={"phase": "asking"}, messages=[{"seq": seq}],
                               last_seq=seq)
        kept = await store.messages_after("s1", 0)
        assert 100 <= len(kept) < 300 and kept[-1]["seq"] == 1000
    finally:
        await store.close()


async def test_a_redis_restart_keeps_data_and_the_client_reconnects(
    redis_server: RedisServer,
) -> None:
    store = RedisSessionStore.from_url(redis_server.url)
    try:
        await store.create(make_session())
        await store.commit("s1", state={"phase": "asking", "n": 1}, messages=[{"seq": 1}],
                           last_seq=1)
        redis_server.stop()  # SIGTERM: Redis flushes the AOF before it exits
        redis_server.start()
        got = await store.get("s1")  # same client: the pooled connection is dead, it reconnects
        assert got is not None and got.state == {"phase": "asking", "n": 1}
        await store.commit("s1", state={"phase": "asking", "n": 2}, messages=[{"seq": 2}],
                           last_seq=2)
        assert [m["seq"] for m in await store.messages_after("s1", 0)] == [1, 2]
        assert [s.session_id for s in await store.list_sessions()] == ["s1"]
    finally:
        await store.close()


async def test_redis_down_for_good_is_a_typed_error(redis_server: RedisServer) -> None:
    store = RedisSessionStore(make_client(redis_server.url, retries=1))
    try:
        await store.create(make_session())
        redis_server.stop()
        with pytest.raises(StoreUnavailable) as err:
            await store.commit("s1", state={"phase": "asking"}, messages=[{"seq": 1}], last_seq=1)
        assert err.value.http_status == 503 and err.value.retry_after
        assert not await store.ping()
    finally:
        await store.close()


async def test_an_acknowledged_commit_survives_sigkill_of_redis(redis_server: RedisServer) -> None:
    store = RedisSessionStore.from_url(redis_server.url)
    try:
        await store.create(make_session())
        for seq in range(1, 51):
            await store.commit("s1", state={"phase": "asking", "n": seq}, messages=[{"seq": seq}],
                               last_seq=seq)
        assert redis_server.proc is not None
        redis_server.proc.kill()  # no AOF flush on the way out; the OS page cache still has it
        redis_server.proc.wait(timeout=10)
        redis_server.proc = None
        redis_server.start()
        got = await store.get("s1")
        assert got is not None and got.last_seq == 50 and got.state["n"] == 50
        assert len(await store.messages_after("s1", 0)) == 50
    finally:
        await store.close()
