"""PostgreSQL specifics: two instances racing on one session, the listing query, the schema check."""

from __future__ import annotations

import asyncio
import time

import pytest

from interviewer.adapters.store.sessions_postgres import PostgresSessionStore
from interviewer.errors import Superseded
from interviewer.service.records import StoredSession


async def test_concurrent_commits_from_two_instances_exactly_one_wins(postgres_db: str) -> None:
    # Two stores with their own connection pools: two server instances on one database.
    a, b = PostgresSessionStore(postgres_db), PostgresSessionStore(postgres_db)
    try:
        now = time.time()
        await a.create(StoredSession("s1", {"phase": "asking"}, 0, "h", "org", now, now))
        for seq in range(1, 21):
            # Both sockets claim the session at once; only the newest claim may write after.
            await asyncio.gather(a.claim("s1", "A"), b.claim("s1", "B"))

            async def write(store: PostgresSessionStore, owner: str, n: int = seq) -> str:
                try:
                    await store.commit("s1", state={"phase": "asking", "by": owner}, last_seq=n,
                                       messages=[{"seq": n, "by": owner}], owner=owner)
                except Superseded:
                    return "superseded"
                return "ok"

            results = await asyncio.gather(write(a, "A"), write(b, "B"))
            assert sorted(results) == ["ok", "superseded"], results
            winner = "A" if results[0] == "ok" else "B"
            rows = await a._all("SELECT owner FROM sessions WHERE session_id='s1'")
            assert rows[0]["owner"] == winner  # the newest claim is the one that wrote
            got = await b.get("s1")
            assert got is not None and got.state["by"] == winner and got.last_seq == seq
            last = (await a.messages_after("s1", seq - 1))
            assert last == [{"seq": seq, "by": winner}]
    finally:
        await a.close()
        await b.close()


async def test_an_unreachable_database_is_a_clear_503(postgres_db: str) -> None:
    from interviewer.adapters.store.pg_db import DatabaseUnavailable

    store = PostgresSessionStore(postgres_db.rsplit("/", 1)[0] + "/no_such_db", check_schema=False,
                                 timeout=1.0)
    try:
        with pytest.raises(DatabaseUnavailable) as info:
            await store.get("s1")
        assert info.value.http_status == 503
    finally:
        await store.close()


async def test_pooled_connections_killed_by_the_server_are_replaced(postgres_db: str) -> None:
    # What a PostgreSQL restart or failover does to the pool: every open connection is cut.
    import psycopg

    store = PostgresSessionStore(postgres_db, max_size=3)
    try:
        now = time.time()
        await store.create(StoredSession("s1", {"phase": "asking"}, 0, "h", "org", now, now))
        with psycopg.connect(postgres_db, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()) k").fetchone()
        assert killed is not None and killed[0] >= 1
        await store.commit("s1", state={"phase": "grading"}, messages=[{"seq": 1}], last_seq=1)
        got = await store.get("s1")
        assert got is not None and got.state == {"phase": "grading"}
    finally:
        await store.close()


def test_a_store_used_from_two_event_loops_works_in_both(postgres_db: str) -> None:
    # The CLI and the tests make keys in one asyncio.run, then serve in another loop.
    store = PostgresSessionStore(postgres_db)
    now = time.time()

    async def first() -> None:  # closed in its own loop, as the CLI does (interviewer.cli._admin_call)
        try:
            await store.create(StoredSession("s1", {"phase": "asking"}, 0, "h", "org", now, now))
        finally:
            await store.close()

    asyncio.run(first())

    async def later() -> StoredSession | None:
        try:
            return await store.get("s1")
        finally:
            await store.close()

    got = asyncio.run(later())
    assert got is not None and got.session_id == "s1"
