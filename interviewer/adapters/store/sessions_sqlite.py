"""SessionStore port on SQLite (WAL): one file under the data directory."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from interviewer.adapters.store.sql_listing import listing_sql
from interviewer.adapters.store.sqlite_db import SqliteDb
from interviewer.errors import SessionNotFound, Superseded
from interviewer.service.records import Indexer, ListingQuery, OwedEvent, StoredSession

T = TypeVar("T")



def _row(r: sqlite3.Row) -> StoredSession:
    return StoredSession(
        session_id=r["session_id"], state=json.loads(r["state"]), last_seq=r["last_seq"],
        resume_token_hash=r["resume_token_hash"], org_id=r["org_id"],
        created_at=r["created_at"], updated_at=r["updated_at"],
    )


class SqliteSessionStore(SqliteDb):
    """Durable: a commit returns only after SQLite has written the transaction (WAL, synchronous=FULL)."""

    def __init__(self, path: Path, *, indexer: Indexer | None = None, with_admin: bool = False) -> None:
        super().__init__(path)
        self.indexer = indexer  # with one, every write keeps the listing columns and tags
        self.with_admin = with_admin  # the admin store writes this same file (one database URL)

    def _index(self, db: sqlite3.Connection, session_id: str, org_id: str | None, created_at: float | None,
               state: dict[str, Any]) -> None:
        """Refresh the listing columns and tags of a session, inside the caller's transaction."""
        fields = self.indexer(state) if self.indexer is not None else None
        if fields is None:
            return
        db.execute("UPDATE sessions SET status=?, score=?, needs_review=?, flagged=?, finished_at=?"
                   " WHERE session_id=?", (fields.status, fields.score, fields.needs_review,
                                           fields.flagged, fields.finished_at, session_id))
        if org_id is None or created_at is None:
            r = db.execute("SELECT org_id, created_at FROM sessions WHERE session_id=?",
                           (session_id,)).fetchone()
            org_id, created_at = r["org_id"], r["created_at"]
        db.execute("DELETE FROM session_tags WHERE session_id=?", (session_id,))
        db.executemany("INSERT INTO session_tags (session_id, kind, value, org_id, created_at)"
                       " VALUES (?,?,?,?,?)",
                       [(session_id, k, v, org_id, created_at) for k, v in fields.tags()])

    async def create(self, session: StoredSession) -> None:
        def op(db: sqlite3.Connection) -> None:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(
                    "INSERT INTO sessions (session_id, org_id, state, last_seq, resume_token_hash,"
                    " created_at, updated_at, phase) VALUES (?,?,?,?,?,?,?,?)",
                    (session.session_id, session.org_id, json.dumps(session.state), session.last_seq,
                     session.resume_token_hash, session.created_at, session.updated_at,
                     session.state.get("phase", "asking")),
                )
                self._index(db, session.session_id, session.org_id, session.created_at, session.state)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

        await self._run(op)

    async def get(self, session_id: str) -> StoredSession | None:
        def op(db: sqlite3.Connection) -> StoredSession | None:
            r = db.execute("SELECT * FROM sessions WHERE session_id=?", (session_id,)).fetchone()
            return _row(r) if r else None

        return await self._run(op)

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

        def op(db: sqlite3.Connection) -> None:
            db.execute("BEGIN IMMEDIATE")
            try:
                if owner is not None:
                    row = db.execute("SELECT owner FROM sessions WHERE session_id=?",
                                     (session_id,)).fetchone()
                    if row is not None and row["owner"] not in (None, owner):
                        raise Superseded("another connection holds this session now")
                cur = db.execute(
                    "UPDATE sessions SET state=?, last_seq=MAX(last_seq, ?), updated_at=?, phase=?"
                    " WHERE session_id=?",
                    (json.dumps(state), last_seq, now, state.get("phase", ""), session_id),
                )
                if cur.rowcount != 1:
                    raise SessionNotFound(f"no session {session_id!r}")
                db.executemany(
                    "INSERT OR REPLACE INTO messages (session_id, seq, body) VALUES (?,?,?)",
                    [(session_id, m["seq"], json.dumps(m)) for m in messages],
                )
                self._index(db, session_id, None, None, state)
                db.executemany(
                    "INSERT OR IGNORE INTO owed_events (event_id, session_id, org_id, event_type, body,"
                    " created_at, due_at) VALUES (?,?,?,?,?,?,?)",
                    [(o.event_id, o.session_id, o.org_id, o.event_type, o.body, now, o.due_at)
                     for o in owed])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

        await self._run(op)

    async def claim(self, session_id: str, owner: str) -> None:
        def op(db: sqlite3.Connection) -> None:
            cur = db.execute("UPDATE sessions SET owner=? WHERE session_id=?", (owner, session_id))
            if cur.rowcount != 1:
                raise SessionNotFound(f"no session {session_id!r}")

        await self._run(op)

    async def messages_after(self, session_id: str, last_seq: int) -> list[dict[str, Any]]:
        def op(db: sqlite3.Connection) -> list[dict[str, Any]]:
            rows = db.execute(
                "SELECT body FROM messages WHERE session_id=? AND seq>? ORDER BY seq",
                (session_id, last_seq),
            ).fetchall()
            return [json.loads(r["body"]) for r in rows]

        return await self._run(op)

    async def list_sessions(
        self, *, org_id: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[StoredSession]:
        def op(db: sqlite3.Connection) -> list[StoredSession]:
            where, args = ("WHERE org_id=?", [org_id]) if org_id is not None else ("", [])
            rows = db.execute(
                f"SELECT * FROM sessions {where} ORDER BY created_at DESC, session_id LIMIT ? OFFSET ?",
                (*args, limit, offset),
            ).fetchall()
            return [_row(r) for r in rows]

        return await self._run(op)

    async def delete(self, session_id: str) -> bool:
        def op(db: sqlite3.Connection) -> bool:
            db.execute("BEGIN IMMEDIATE")
            try:
                cur = db.execute("DELETE FROM sessions WHERE session_id=?", (session_id,))
                db.execute("DELETE FROM messages WHERE session_id=?", (session_id,))
                db.execute("DELETE FROM session_tags WHERE session_id=?", (session_id,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return cur.rowcount == 1

        return await self._run(op)

    async def created_before(self, before: float, *, limit: int = 500) -> list[StoredSession]:
        def op(db: sqlite3.Connection) -> list[StoredSession]:
            rows = db.execute(
                "SELECT * FROM sessions WHERE created_at < ? ORDER BY created_at, session_id LIMIT ?",
                (before, limit),
            ).fetchall()
            return [_row(r) for r in rows]

        return await self._run(op)

    async def query_page(
        self, *, org_id: str, query: ListingQuery, limit: int, after: tuple[float, str] | None = None
    ) -> list[StoredSession]:
        """The org's sessions matching `query`, newest first (created_at, then id, descending),
        strictly after the keyset `after`; only meaningful with an indexer."""
        sql, args = listing_sql(org_id=org_id, query=query, after=after, limit=limit, mark="?",
                                with_meta=self.with_admin)

        def op(db: sqlite3.Connection) -> list[StoredSession]:
            return [_row(r) for r in db.execute(sql, args).fetchall()]

        return await self._run(op)

    # ---- webhook events owed to the outbox (OwedEvents port) ----

    async def owed_claim(self, *, now: float, lease: float, limit: int) -> list[OwedEvent]:
        def op(db: sqlite3.Connection) -> list[OwedEvent]:
            rows = db.execute("SELECT * FROM owed_events WHERE due_at <= ? ORDER BY created_at, event_id"
                              " LIMIT ?", (now, limit)).fetchall()
            if not rows:
                return []
            db.execute("BEGIN IMMEDIATE")
            try:  # claimed only if still due: another process may have claimed it meanwhile
                got = [r for r in rows if db.execute(
                    "UPDATE owed_events SET due_at=? WHERE event_id=? AND due_at <= ?",
                    (now + lease, r["event_id"], now)).rowcount == 1]
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return [OwedEvent(r["event_id"], r["session_id"], r["org_id"], r["event_type"], r["body"],
                              now + lease) for r in got]

        return await self._run(op)

    async def owed_settle(self, event_ids: Sequence[str]) -> None:
        ids = list(event_ids)

        def op(db: sqlite3.Connection) -> None:  # one statement: one transaction, one sync
            db.execute(f"DELETE FROM owed_events WHERE event_id IN ({','.join('?' * len(ids))})", ids)

        if event_ids:
            await self._run(op)

    # ---- orphaned work (OrphanedWork port) ----

    async def heartbeat(self, instance: str, *, ttl: float) -> None:
        now = time.time()

        def op(db: sqlite3.Connection) -> None:
            db.execute("INSERT OR REPLACE INTO instances VALUES (?, ?)", (instance, now + ttl))
            db.execute("DELETE FROM instances WHERE expires_at < ?", (now - 3600,))

        await self._run(op)

    async def orphaned(self, *, limit: int = 50) -> list[tuple[str, str | None]]:
        def op(db: sqlite3.Connection) -> list[tuple[str, str | None]]:
            rows = db.execute(
                "SELECT session_id, owner FROM sessions WHERE phase IN ('grading', 'selecting') AND"
                " (owner IS NULL OR substr(owner, 1, instr(owner, ':') - 1) NOT IN"
                "  (SELECT instance FROM instances WHERE expires_at > ?)) LIMIT ?",
                (time.time(), limit)).fetchall()
            return [(r["session_id"], r["owner"]) for r in rows]

        return await self._run(op)

    async def adopt(self, session_id: str, *, expected_owner: str | None, owner: str) -> bool:
        def op(db: sqlite3.Connection) -> bool:
            cur = db.execute("UPDATE sessions SET owner=? WHERE session_id=? AND owner IS ?",
                             (owner, session_id, expected_owner))
            return cur.rowcount == 1

        return await self._run(op)
