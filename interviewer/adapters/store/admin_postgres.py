"""AdminStore port on PostgreSQL: keys, audit (append-only by trigger), webhooks, deliveries,
idempotency records, sessions' metadata and org questions, in the same database as the sessions."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import astuple
from typing import Any

from interviewer.adapters.store.pg_db import PgDb
from interviewer.service.records import (
    ApiKeyRecord,
    AuditEntry,
    DeliveryRecord,
    IdempotencyRecord,
    OutboxEntry,
    SessionMeta,
    WebhookRecord,
)


def _key(r: dict[str, Any]) -> ApiKeyRecord:
    return ApiKeyRecord(r["key_id"], r["org_id"], r["role"], r["key_hash"], r["created_at"],
                        r["name"], r["last_used_at"], r["revoked_at"])


def _audit(r: dict[str, Any]) -> AuditEntry:
    return AuditEntry(r["entry_id"], r["session_id"], r["org_id"], r["at"], r["actor"], r["action"],
                      r["question_id"], r["reason"], json.loads(r["before"]), json.loads(r["after"]),
                      r["criterion_id"])


def _hook(r: dict[str, Any]) -> WebhookRecord:
    return WebhookRecord(r["webhook_id"], r["org_id"], r["url"], tuple(json.loads(r["events"])),
                         r["secret"], r["created_at"], bool(r["active"]))


class PostgresAdminStore(PgDb):
    def __init__(self, url: str, *, check_schema: bool = True, max_size: int = 10,
                 timeout: float = 10.0) -> None:
        super().__init__(url, check_schema=check_schema, max_size=max_size, timeout=timeout)

    # ---- keys ----

    async def create_key(self, key: ApiKeyRecord) -> None:
        await self._exec("INSERT INTO api_keys (key_id, org_id, role, key_hash, created_at, name,"
                         " last_used_at, revoked_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)", astuple(key))

    async def get_key(self, key_id: str) -> ApiKeyRecord | None:
        rows = await self._all("SELECT * FROM api_keys WHERE key_id=%s", (key_id,))
        return _key(rows[0]) if rows else None

    async def list_keys(self, *, org_id: str | None = None) -> list[ApiKeyRecord]:
        where, args = ("WHERE org_id=%s", (org_id,)) if org_id is not None else ("", ())
        rows = await self._all(f"SELECT * FROM api_keys {where} ORDER BY created_at, key_id", args)
        return [_key(r) for r in rows]

    async def revoke_key(self, key_id: str, *, at: float) -> bool:
        n = await self._exec("UPDATE api_keys SET revoked_at=COALESCE(revoked_at, %s) WHERE key_id=%s",
                             (at, key_id))
        return n == 1

    async def touch_key(self, key_id: str, *, at: float) -> None:
        await self._exec("UPDATE api_keys SET last_used_at=%s WHERE key_id=%s AND revoked_at IS NULL",
                         (at, key_id))

    # ---- audit ----

    async def append_audit(self, entry: AuditEntry) -> None:
        await self._exec(
            "INSERT INTO audit (entry_id, session_id, org_id, at, actor, action, question_id, reason,"
            " before, after, criterion_id) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
            (entry.entry_id, entry.session_id, entry.org_id, entry.at, entry.actor, entry.action,
             entry.question_id, entry.reason, json.dumps(entry.before), json.dumps(entry.after),
             entry.criterion_id))

    async def list_audit(self, session_id: str) -> list[AuditEntry]:
        rows = await self._all("SELECT * FROM audit WHERE session_id=%s ORDER BY n", (session_id,))
        return [_audit(r) for r in rows]

    # ---- webhooks and deliveries ----

    async def create_webhook(self, hook: WebhookRecord) -> None:
        await self._exec(
            "INSERT INTO webhooks (webhook_id, org_id, url, events, secret, created_at, active)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s)",
            (hook.webhook_id, hook.org_id, hook.url, json.dumps(list(hook.events)), hook.secret,
             hook.created_at, int(hook.active)))

    async def get_webhook(self, webhook_id: str) -> WebhookRecord | None:
        rows = await self._all("SELECT * FROM webhooks WHERE webhook_id=%s", (webhook_id,))
        return _hook(rows[0]) if rows else None

    async def list_webhooks(self, *, org_id: str) -> list[WebhookRecord]:
        rows = await self._all("SELECT * FROM webhooks WHERE org_id=%s ORDER BY created_at, webhook_id",
                               (org_id,))
        return [_hook(r) for r in rows]

    async def delete_webhook(self, webhook_id: str) -> bool:
        return await self._exec("DELETE FROM webhooks WHERE webhook_id=%s", (webhook_id,)) == 1

    async def save_delivery(self, delivery: DeliveryRecord) -> None:
        await self._exec(
            "INSERT INTO deliveries (delivery_id, webhook_id, org_id, event_id, event_type, status,"
            " attempts, created_at, updated_at, last_status_code, last_error)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (delivery_id) DO UPDATE SET"
            " webhook_id=EXCLUDED.webhook_id, org_id=EXCLUDED.org_id, event_id=EXCLUDED.event_id,"
            " event_type=EXCLUDED.event_type, status=EXCLUDED.status, attempts=EXCLUDED.attempts,"
            " created_at=EXCLUDED.created_at, updated_at=EXCLUDED.updated_at,"
            " last_status_code=EXCLUDED.last_status_code, last_error=EXCLUDED.last_error",
            astuple(delivery))

    async def list_deliveries(self, webhook_id: str, *, limit: int = 50) -> list[DeliveryRecord]:
        rows = await self._all(
            "SELECT * FROM deliveries WHERE webhook_id=%s ORDER BY created_at DESC, delivery_id DESC"
            " LIMIT %s", (webhook_id, limit))
        return [DeliveryRecord(**r) for r in rows]

    # ---- webhook outbox (WebhookOutbox port) ----
    # A webhook's line is its rows by `seq`; only the first row's `due_at` matters. A claim moves it
    # `lease` seconds ahead. Adds and claims take one transaction-scoped advisory lock, so that the
    # backlog limit and "one entry per webhook" hold across instances.

    _OUTBOX_LOCK = "SELECT pg_advisory_xact_lock(hashtext('interviewer.outbox'))"

    async def outbox_add(self, entries: Sequence[OutboxEntry], *, now: float, limit: int) -> bool:
        async with self.transaction() as conn:
            await conn.execute(self._OUTBOX_LOCK)
            cur = await conn.execute("SELECT COUNT(*) AS n FROM outbox")
            row = await cur.fetchone()
            if row is not None and row["n"] + len(entries) > limit:
                return False
            if entries:
                async with conn.cursor() as c:
                    await c.executemany(
                        "INSERT INTO outbox (delivery_id, webhook_id, body, created_at, attempts, due_at)"
                        " VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT (delivery_id) DO NOTHING",
                        [(e.delivery_id, e.webhook_id, e.body, e.created_at, e.attempts, now)
                         for e in entries])
            return True

    async def outbox_claim(self, *, now: float, lease: float, limit: int) -> list[OutboxEntry]:
        async with self.transaction() as conn:
            await conn.execute(self._OUTBOX_LOCK)
            cur = await conn.execute(
                "SELECT o.* FROM outbox o JOIN (SELECT MIN(seq) AS seq FROM outbox GROUP BY webhook_id)"
                " h ON o.seq = h.seq WHERE o.due_at <= %s ORDER BY o.due_at, o.seq LIMIT %s",
                (now, limit))
            rows = await cur.fetchall()
            if rows:
                await conn.execute("UPDATE outbox SET due_at=%s WHERE seq = ANY(%s)",
                                   (now + lease, [r["seq"] for r in rows]))
        return [OutboxEntry(r["delivery_id"], r["webhook_id"], r["body"], r["created_at"], r["attempts"])
                for r in rows]

    async def outbox_retry(self, entry: OutboxEntry, *, due_at: float) -> None:
        await self._exec("UPDATE outbox SET attempts=%s, due_at=%s WHERE delivery_id=%s",
                         (entry.attempts, due_at, entry.delivery_id))

    async def outbox_done(self, entry: OutboxEntry, *, now: float) -> None:
        await self._exec("DELETE FROM outbox WHERE delivery_id=%s", (entry.delivery_id,))

    async def outbox_size(self) -> int:
        rows = await self._all("SELECT COUNT(*) AS n FROM outbox")
        return int(rows[0]["n"])

    # ---- idempotency ----

    async def idem_reserve(
        self, scope: str, key: str, request_hash: str, *, ttl: float
    ) -> IdempotencyRecord | None:
        now = time.time()
        async with self.transaction() as conn:
            await conn.execute("DELETE FROM idempotency WHERE scope=%s AND key=%s AND expires_at<%s",
                               (scope, key, now))
            cur = await conn.execute(
                "INSERT INTO idempotency (scope, key, request_hash, done, status_code, body, expires_at)"
                " VALUES (%s,%s,%s,0,0,'',%s) ON CONFLICT (scope, key) DO NOTHING",
                (scope, key, request_hash, now + ttl))
            if cur.rowcount == 1:
                return None
            cur = await conn.execute("SELECT * FROM idempotency WHERE scope=%s AND key=%s", (scope, key))
            r = await cur.fetchone()
        if r is None:  # released between the two statements: try once more
            return await self.idem_reserve(scope, key, request_hash, ttl=ttl)
        return IdempotencyRecord(r["request_hash"], bool(r["done"]), r["status_code"], r["body"])

    async def idem_complete(self, scope: str, key: str, record: IdempotencyRecord, *, ttl: float) -> None:
        await self._exec(
            "INSERT INTO idempotency (scope, key, request_hash, done, status_code, body, expires_at)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (scope, key) DO UPDATE SET"
            " request_hash=EXCLUDED.request_hash, done=EXCLUDED.done, status_code=EXCLUDED.status_code,"
            " body=EXCLUDED.body, expires_at=EXCLUDED.expires_at",
            (scope, key, record.request_hash, int(record.done), record.status_code, record.body,
             time.time() + ttl))

    async def idem_release(self, scope: str, key: str) -> None:
        await self._exec("DELETE FROM idempotency WHERE scope=%s AND key=%s", (scope, key))

    # ---- sessions' metadata and org questions ----

    async def put_session_meta(self, meta: SessionMeta) -> None:
        await self._exec(
            "INSERT INTO session_meta (session_id, org_id, created_at, candidate_ref, created_by)"
            " VALUES (%s,%s,%s,%s,%s) ON CONFLICT (session_id) DO UPDATE SET org_id=EXCLUDED.org_id,"
            " created_at=EXCLUDED.created_at, candidate_ref=EXCLUDED.candidate_ref,"
            " created_by=EXCLUDED.created_by", astuple(meta))

    async def get_session_metas(self, session_ids: Sequence[str]) -> dict[str, SessionMeta]:
        ids = list(session_ids)
        if not ids:
            return {}
        rows = await self._all("SELECT * FROM session_meta WHERE session_id = ANY(%s)", (ids,))
        return {r["session_id"]: SessionMeta(**r) for r in rows}

    async def delete_session_meta(self, session_id: str) -> None:
        await self._exec("DELETE FROM session_meta WHERE session_id=%s", (session_id,))

    async def put_question(self, org_id: str, question_id: str, doc: dict[str, Any]) -> None:
        await self._exec(
            "INSERT INTO org_questions (org_id, question_id, doc) VALUES (%s,%s,%s)"
            " ON CONFLICT (org_id, question_id) DO UPDATE SET doc=EXCLUDED.doc",
            (org_id, question_id, json.dumps(doc)))

    async def get_question(self, org_id: str, question_id: str) -> dict[str, Any] | None:
        rows = await self._all("SELECT doc FROM org_questions WHERE org_id=%s AND question_id=%s",
                               (org_id, question_id))
        return json.loads(rows[0]["doc"]) if rows else None
