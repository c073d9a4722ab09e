"""AdminStore port on SQLite: keys, audit, webhooks, deliveries, idempotency, in one file."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import astuple
from pathlib import Path
from typing import Any, TypeVar

from interviewer.adapters.store.sqlite_db import SqliteDb
from interviewer.service.records import (
    ApiKeyRecord,
    AuditEntry,
    DeliveryRecord,
    IdempotencyRecord,
    OutboxEntry,
    SessionMeta,
    WebhookRecord,
)

T = TypeVar("T")

def _key(r: sqlite3.Row) -> ApiKeyRecord:
    return ApiKeyRecord(r["key_id"], r["org_id"], r["role"], r["key_hash"], r["created_at"],
                        r["name"], r["last_used_at"], r["revoked_at"])


def _audit(r: sqlite3.Row) -> AuditEntry:
    return AuditEntry(r["entry_id"], r["session_id"], r["org_id"], r["at"], r["actor"], r["action"],
                      r["question_id"], r["reason"], json.loads(r["before"]), json.loads(r["after"]),
                      r["criterion_id"])


def _hook(r: sqlite3.Row) -> WebhookRecord:
    return WebhookRecord(r["webhook_id"], r["org_id"], r["url"], tuple(json.loads(r["events"])),
                         r["secret"], r["created_at"], bool(r["active"]))


def _delivery(r: sqlite3.Row) -> DeliveryRecord:
    return DeliveryRecord(*(r[k] for k in r.keys()))  # noqa: SIM118  (sqlite3.Row has no iterator of keys)


class SqliteAdminStore(SqliteDb):
    """Every call runs in a worker thread on one connection guarded by a lock (WAL, synchronous=FULL)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)

    async def _exec(self, sql: str, args: Sequence[Any] = ()) -> int:
        return await self._run(lambda db: db.execute(sql, tuple(args)).rowcount)

    async def _all(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return await self._run(lambda db: db.execute(sql, tuple(args)).fetchall())

    # ---- keys ----

    async def create_key(self, key: ApiKeyRecord) -> None:
        await self._exec("INSERT INTO api_keys VALUES (?,?,?,?,?,?,?,?)", (
            key.key_id, key.org_id, key.role, key.key_hash, key.created_at, key.name,
            key.last_used_at, key.revoked_at))

    async def get_key(self, key_id: str) -> ApiKeyRecord | None:
        rows = await self._all("SELECT * FROM api_keys WHERE key_id=?", (key_id,))
        return _key(rows[0]) if rows else None

    async def list_keys(self, *, org_id: str | None = None) -> list[ApiKeyRecord]:
        where, args = ("WHERE org_id=?", (org_id,)) if org_id is not None else ("", ())
        rows = await self._all(f"SELECT * FROM api_keys {where} ORDER BY created_at, key_id", args)
        return [_key(r) for r in rows]

    async def revoke_key(self, key_id: str, *, at: float) -> bool:
        n = await self._exec("UPDATE api_keys SET revoked_at=COALESCE(revoked_at, ?) WHERE key_id=?",
                             (at, key_id))
        return n == 1

    async def touch_key(self, key_id: str, *, at: float) -> None:
        await self._exec("UPDATE api_keys SET last_used_at=? WHERE key_id=?", (at, key_id))

    # ---- audit ----

    async def append_audit(self, entry: AuditEntry) -> None:
        await self._exec(
            "INSERT INTO audit (entry_id, session_id, org_id, at, actor, action, question_id, reason,"
            " before, after, criterion_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (entry.entry_id, entry.session_id, entry.org_id, entry.at, entry.actor, entry.action,
             entry.question_id, entry.reason, json.dumps(entry.before), json.dumps(entry.after),
             entry.criterion_id))

    async def list_audit(self, session_id: str) -> list[AuditEntry]:
        rows = await self._all("SELECT * FROM audit WHERE session_id=? ORDER BY n", (session_id,))
        return [_audit(r) for r in rows]

    # ---- webhooks and deliveries ----

    async def create_webhook(self, hook: WebhookRecord) -> None:
        await self._exec("INSERT INTO webhooks VALUES (?,?,?,?,?,?,?)", (
            hook.webhook_id, hook.org_id, hook.url, json.dumps(list(hook.events)), hook.secret,
            hook.created_at, int(hook.active)))

    async def get_webhook(self, webhook_id: str) -> WebhookRecord | None:
        rows = await self._all("SELECT * FROM webhooks WHERE webhook_id=?", (webhook_id,))
        return _hook(rows[0]) if rows else None

    async def list_webhooks(self, *, org_id: str) -> list[WebhookRecord]:
        rows = await self._all("SELECT * FROM webhooks WHERE org_id=? ORDER BY created_at, webhook_id",
                               (org_id,))
        return [_hook(r) for r in rows]

    async def delete_webhook(self, webhook_id: str) -> bool:
        return await self._exec("DELETE FROM webhooks WHERE webhook_id=?", (webhook_id,)) == 1

    async def save_delivery(self, delivery: DeliveryRecord) -> None:
        await self._exec("INSERT OR REPLACE INTO deliveries VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                         astuple(delivery))

    async def list_deliveries(self, webhook_id: str, *, limit: int = 50) -> list[DeliveryRecord]:
        rows = await self._all(
            "SELECT * FROM deliveries WHERE webhook_id=? ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (webhook_id, limit))
        return [_delivery(r) for r in rows]

    # ---- webhook outbox (WebhookOutbox port) ----
    # A webhook's line is its rows by `seq`; only the first row's `due_at` matters. A claim moves it
    # `lease` seconds ahead, so no other instance takes it until then.

    async def outbox_add(self, entries: Sequence[OutboxEntry], *, now: float, limit: int) -> bool:
        def op(db: sqlite3.Connection) -> bool:
            db.execute("BEGIN IMMEDIATE")
            try:
                (n,) = db.execute("SELECT COUNT(*) FROM outbox").fetchone()
                if n + len(entries) > limit:
                    return False
                db.executemany(
                    "INSERT INTO outbox (delivery_id, webhook_id, body, created_at, attempts, due_at)"
                    " VALUES (?,?,?,?,?,?) ON CONFLICT (delivery_id) DO NOTHING",
                    [(e.delivery_id, e.webhook_id, e.body, e.created_at, e.attempts, now) for e in entries])
                return True
            finally:
                db.execute("COMMIT")

        return await self._run(op)

    async def outbox_claim(self, *, now: float, lease: float, limit: int) -> list[OutboxEntry]:
        def op(db: sqlite3.Connection) -> list[OutboxEntry]:
            db.execute("BEGIN IMMEDIATE")
            try:
                rows = db.execute(
                    "SELECT o.* FROM outbox o JOIN (SELECT MIN(seq) AS seq FROM outbox GROUP BY webhook_id)"
                    " h ON o.seq = h.seq WHERE o.due_at <= ? ORDER BY o.due_at, o.seq LIMIT ?",
                    (now, limit)).fetchall()
                db.executemany("UPDATE outbox SET due_at=? WHERE seq=?",
                               [(now + lease, r["seq"]) for r in rows])
            finally:
                db.execute("COMMIT")
            return [OutboxEntry(r["delivery_id"], r["webhook_id"], r["body"], r["created_at"], r["attempts"])
                    for r in rows]

        return await self._run(op)

    async def outbox_retry(self, entry: OutboxEntry, *, due_at: float) -> None:
        await self._exec("UPDATE outbox SET attempts=?, due_at=? WHERE delivery_id=?",
                         (entry.attempts, due_at, entry.delivery_id))

    async def outbox_done(self, entry: OutboxEntry, *, now: float) -> None:
        await self._exec("DELETE FROM outbox WHERE delivery_id=?", (entry.delivery_id,))

    async def outbox_size(self) -> int:
        rows = await self._all("SELECT COUNT(*) AS n FROM outbox")
        return int(rows[0]["n"])

    # ---- idempotency ----

    async def idem_reserve(
        self, scope: str, key: str, request_hash: str, *, ttl: float
    ) -> IdempotencyRecord | None:
        now = time.time()

        def op(db: sqlite3.Connection) -> IdempotencyRecord | None:
            db.execute("DELETE FROM idempotency WHERE scope=? AND key=? AND expires_at<?", (scope, key, now))
            cur = db.execute("INSERT OR IGNORE INTO idempotency VALUES (?,?,?,?,?,?,?)",
                             (scope, key, request_hash, 0, 0, "", now + ttl))
            if cur.rowcount == 1:
                return None
            r = db.execute("SELECT * FROM idempotency WHERE scope=? AND key=?", (scope, key)).fetchone()
            return IdempotencyRecord(r["request_hash"], bool(r["done"]), r["status_code"], r["body"])

        return await self._run(op)

    async def idem_complete(self, scope: str, key: str, record: IdempotencyRecord, *, ttl: float) -> None:
        await self._exec("INSERT OR REPLACE INTO idempotency VALUES (?,?,?,?,?,?,?)", (
            scope, key, record.request_hash, int(record.done), record.status_code, record.body,
            time.time() + ttl))

    async def idem_release(self, scope: str, key: str) -> None:
        await self._exec("DELETE FROM idempotency WHERE scope=? AND key=?", (scope, key))

    # ---- sessions' metadata and org questions ----

    async def put_session_meta(self, meta: SessionMeta) -> None:
        await self._exec("INSERT OR REPLACE INTO session_meta VALUES (?,?,?,?,?)", astuple(meta))

    async def get_session_metas(self, session_ids: Sequence[str]) -> dict[str, SessionMeta]:
        ids = list(session_ids)
        out: dict[str, SessionMeta] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ",".join("?" * len(chunk))
            for r in await self._all(f"SELECT * FROM session_meta WHERE session_id IN ({marks})", chunk):
                out[r["session_id"]] = SessionMeta(*(r[k] for k in r.keys()))  # noqa: SIM118
        return out

    async def delete_session_meta(self, session_id: str) -> None:
        await self._exec("DELETE FROM session_meta WHERE session_id=?", (session_id,))

    async def put_question(self, org_id: str, question_id: str, doc: dict[str, Any]) -> None:
        await self._exec("INSERT OR REPLACE INTO org_questions VALUES (?,?,?)",
                         (org_id, question_id, json.dumps(doc)))

    async def get_question(self, org_id: str, question_id: str) -> dict[str, Any] | None:
        rows = await self._all("SELECT doc FROM org_questions WHERE org_id=? AND question_id=?",
                               (org_id, question_id))
        return json.loads(rows[0]["doc"]) if rows else None
