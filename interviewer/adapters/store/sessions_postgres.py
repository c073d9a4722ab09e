"""SessionStore port on PostgreSQL: the system of record when several instances run.

A commit is one transaction: the session row is locked (`SELECT ... FOR UPDATE`), its holder
checked, the state and listing columns written and the messages appended, so an acknowledged
answer is on disk in PostgreSQL before the client hears of it, whatever happens to Redis.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import psycopg

from interviewer.adapters.store.pg_db import PgDb
from interviewer.adapters.store.sql_listing import listing_sql
from interviewer.errors import InvalidState, SessionNotFound, Superseded
from interviewer.service.records import Indexer, ListingQuery, OwedEvent, StoredSession


def _row(r: dict[str, Any]) -> StoredSession:
    return StoredSession(
        session_id=r["session_id"], state=json.loads(r["state"]), last_seq=r["last_seq"],
        resume_token_hash=r["resume_token_hash"], org_id=r["org_id"],
        created_at=r["created_at"], updated_at=r["updated_at"],
    )


class PostgresSessionStore(PgDb):
    """Durable once PostgreSQL has committed (synchronous_commit as the server is set up)."""

    def __init__(self, url: str, *, indexer: Indexer | None = None, check_schema: bool = True,
                 max_size: int = 10, timeout: float = 10.0) -> None:
        super().__init__(url, check_schema=check_schema, max_size=max_size, timeout=timeout)
        self.indexer = indexer

    async def _index(self, conn: psycopg.AsyncConnection[dict[str, Any]], session_id: str, org_id: str,
                     created_at: float, state: dict[str, Any]) -> None:
        fields = self.indexer(state) if self.indexer is not None else None
        if fields is None:
            return
        await conn.execute(
            "UPDATE sessions SET status=%s, score=%s, needs_review=%s, flagged=%s, finished_at=%s"
            " WHERE session_id=%s", (fields.status, fields.score, fields.needs_review, fields.flagged,
                                     fields.finished_at, session_id))
        await conn.execute("DELETE FROM session_tags WHERE session_id=%s", (session_id,))
        tags = fields.tags()
        if tags:
            async with conn.cursor() as cur:
                await cur.executemany(
                    "INSERT INTO session_tags (session_id, kind, value, org_id, created_at)"
                    " VALUES (%s,%s,%s,%s,%s)", [(session_id, k, v, org_id, created_at) for k, v in tags])

    async def create(self, session: StoredSession) -> None:
        try:
            async with self.transaction() as conn:
                await conn.execute(
                    "INSERT INTO sessions (session_id, org_id, state, last_seq, resume_token_hash,"
                    " created_at, updated_at, phase) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
                    (session.session_id, session.org_id, json.dumps(session.state), session.last_seq,
                     session.resume_token_hash, session.created_at, session.updated_at,
                     session.state.get("phase", "asking")))
                await self._index(conn, session.session_id, session.org_id, session.created_at,
                                  session.state)
        except psycopg.errors.UniqueViolation:
            raise InvalidState(f"session {session.session_id!r} already exists") from None

    async def get(self, session_id: str) -> StoredSession | None:
        rows = await self._all("SELECT * FROM sessions WHERE session_id=%s", (session_id,))
        return _row(rows[0]) if rows else None

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
        now = time.time()
        async with self.transaction() as conn:
            cur = await conn.execute(
                "SELECT owner, org_id, created_at FROM sessions WHERE session_id=%s FOR UPDATE",
                (session_id,))
            row = await cur.fetchone()
            if row is None:
                raise SessionNotFound(f"no session {session_id!r}")
            if owner is not None and row["owner"] not in (None, owner):
                raise Superseded("another connection holds this session now")
            await conn.execute(
                "UPDATE sessions SET state=%s, last_seq=GREATEST(last_seq, %s), updated_at=%s, phase=%s"
                " WHERE session_id=%s",
                (json.dumps(state), last_seq, now, str(state.get("phase", "")), session_id))
            if messages:
                async with conn.cursor() as c:
                    await c.executemany(
                        "INSERT INTO messages (session_id, seq, body) VALUES (%s,%s,%s)"
                        " ON CONFLICT (session_id, seq) DO UPDATE SET body=EXCLUDED.body",
                        [(session_id, int(m["seq"]), json.dumps(m)) for m in messages])
            await self._index(conn, session_id, row["org_id"], row["created_at"], state)
            if owed:
                async with conn.cursor() as c:
                    await c.executemany(
                        "INSERT INTO owed_events (event_id, session_id, org_id, event_type, body,"
                        " created_at, due_at) VALUES (%s,%s,%s,%s,%s,%s,%s)"
                        " ON CONFLICT (event_id) DO NOTHING",
                        [(o.event_id, o.session_id, o.org_id, o.event_type, o.body, now, o.due_at)
                         for o in owed])

    async def claim(self, session_id: str, owner: str) -> None:
        n = await self._exec("UPDATE sessions SET owner=%s WHERE session_id=%s", (owner, session_id))
        if n != 1:
            raise SessionNotFound(f"no session {session_id!r}")

    async def messages_after(self, session_id: str, last_seq: int) -> list[dict[str, Any]]:
        rows = await self._all("SELECT body FROM messages WHERE session_id=%s AND seq>%s ORDER BY seq",
                               (session_id, last_seq))
        return [json.loads(r["body"]) for r in rows]

    async def list_sessions(
        self, *, org_id: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[StoredSession]:
        where, args = ("WHERE org_id=%s", [org_id]) if org_id is not None else ("", [])
        rows = await self._all(
            f"SELECT * FROM sessions {where} ORDER BY created_at DESC, session_id LIMIT %s OFFSET %s",
            (*args, limit, offset))
        return [_row(r) for r in rows]

    async def query_page(
        self, *, org_id: str, query: ListingQuery, limit: int, after: tuple[float, str] | None = None
    ) -> list[StoredSession]:
        """The org's sessions matching `query`, newest first, strictly after the keyset `after`."""
        # The admin store is in this same database: candidate references are matched here too.
        sql, args = listing_sql(org_id=org_id, query=query, after=after, limit=limit, mark="%s",
                                with_meta=True)
        return [_row(r) for r in await self._all(sql, args)]

    async def delete(self, session_id: str) -> bool:
        async with self.transaction() as conn:
            cur = await conn.execute("DELETE FROM sessions WHERE session_id=%s", (session_id,))
            await conn.execute("DELETE FROM messages WHERE session_id=%s", (session_id,))
            await conn.execute("DELETE FROM session_tags WHERE session_id=%s", (session_id,))
            return cur.rowcount == 1

    async def created_before(self, before: float, *, limit: int = 500) -> list[StoredSession]:
        rows = await self._all(
            "SELECT * FROM sessions WHERE created_at < %s ORDER BY created_at, session_id LIMIT %s",
            (before, limit))
        return [_row(r) for r in rows]

    # ---- webhook events owed to the outbox (OwedEvents port) ----

    async def owed_claim(self, *, now: float, lease: float, limit: int) -> list[OwedEvent]:
        rows = await self._all(
            "UPDATE owed_events SET due_at=%s WHERE event_id IN (SELECT event_id FROM owed_events"
            " WHERE due_at <= %s ORDER BY created_at, event_id LIMIT %s FOR UPDATE SKIP LOCKED)"
            " RETURNING *", (now + lease, now, limit))
        rows.sort(key=lambda r: (r["created_at"], r["event_id"]))
        return [OwedEvent(r["event_id"], r["session_id"], r["org_id"], r["event_type"], r["body"],
                          r["due_at"]) for r in rows]

    async def owed_settle(self, event_ids: Sequence[str]) -> None:
        if event_ids:
            await self._exec("DELETE FROM owed_events WHERE event_id = ANY(%s)", (list(event_ids),))

    # ---- orphaned work (OrphanedWork port) ----

    async def heartbeat(self, instance: str, *, ttl: float) -> None:
        now = time.time()
        async with self.transaction() as conn:
            await conn.execute(
                "INSERT INTO instances (instance, expires_at) VALUES (%s, %s)"
                " ON CONFLICT (instance) DO UPDATE SET expires_at=EXCLUDED.expires_at", (instance, now + ttl))
            await conn.execute("DELETE FROM instances WHERE expires_at < %s", (now - 3600,))

    async def orphaned(self, *, limit: int = 50) -> list[tuple[str, str | None]]:
        rows = await self._all(
            "SELECT session_id, owner FROM sessions WHERE phase IN ('grading', 'selecting') AND"
            " (owner IS NULL OR split_part(owner, ':', 1) NOT IN"
            "  (SELECT instance FROM instances WHERE expires_at > %s)) LIMIT %s", (time.time(), limit))
        return [(r["session_id"], r["owner"]) for r in rows]

    async def adopt(self, session_id: str, *, expected_owner: str | None, owner: str) -> bool:
        n = await self._exec("UPDATE sessions SET owner=%s WHERE session_id=%s"
                             " AND owner IS NOT DISTINCT FROM %s", (owner, session_id, expected_owner))
        return n == 1
