"""The AdminStore contract, run against SQLite, a real redis-server and a real PostgreSQL."""

from __future__ import annotations

import asyncio

from interviewer.service.ports import AdminStore
from interviewer.service.records import (
    ApiKeyRecord,
    AuditEntry,
    DeliveryRecord,
    IdempotencyRecord,
    SessionMeta,
    WebhookRecord,
)


def make_key(key_id: str = "k1", org: str = "acme", at: float = 1.0) -> ApiKeyRecord:
    return ApiKeyRecord(key_id, org, "recruiter", "h" * 64, at, name="ci")


async def test_keys_roundtrip_revoke_and_touch(admin: AdminStore) -> None:
    await admin.create_key(make_key("k1", "acme", 1.0))
    await admin.create_key(make_key("k2", "beta", 2.0))
    got = await admin.get_key("k1")
    assert got == make_key("k1", "acme", 1.0)
    assert [k.key_id for k in await admin.list_keys()] == ["k1", "k2"]
    assert [k.key_id for k in await admin.list_keys(org_id="beta")] == ["k2"]
    await admin.touch_key("k1", at=5.0)
    assert (await admin.get_key("k1")).last_used_at == 5.0  # type: ignore[union-attr]
    assert await admin.revoke_key("k1", at=6.0)
    assert await admin.revoke_key("k1", at=9.0)  # idempotent: the first time is kept
    assert (await admin.get_key("k1")).revoked_at == 6.0  # type: ignore[union-attr]
    assert not await admin.revoke_key("ghost", at=1.0)
    assert await admin.get_key("ghost") is None


async def test_audit_is_appended_in_order(admin: AdminStore) -> None:
    for i in range(3):
        await admin.append_audit(AuditEntry(
            f"e{i}", "s1", "acme", float(i), "k1", "override.criterion", "q", f"why {i}",
            {"verdict": "missed"}, {"verdict": "met"}, criterion_id="c"))
    entries = await admin.list_audit("s1")
    assert [e.entry_id for e in entries] == ["e0", "e1", "e2"]
    assert entries[1].before == {"verdict": "missed"} and entries[1].criterion_id == "c"
    assert await admin.list_audit("other") == []


async def test_webhooks_and_deliveries(admin: AdminStore) -> None:
    hook = WebhookRecord("w1", "acme", "http://127.0.0.1:9/x", ("interview.completed",), "sec", 1.0)
    await admin.create_webhook(hook)
    await admin.create_webhook(WebhookRecord("w2", "beta", "http://x", ("grade.created",), "s", 2.0))
    assert await admin.get_webhook("w1") == hook
    assert [h.webhook_id for h in await admin.list_webhooks(org_id="acme")] == ["w1"]
    for i in range(3):
        await admin.save_delivery(DeliveryRecord(f"d{i}", "w1", "acme", f"ev{i}", "grade.created",
                                                 "pending", 0, 10.0 + i, 10.0 + i))
    await admin.save_delivery(DeliveryRecord("d0", "w1", "acme", "ev0", "grade.created",
                                             "delivered", 2, 10.0, 20.0, 200, ""))
    got = await admin.list_deliveries("w1")
    assert [d.delivery_id for d in got] == ["d2", "d1", "d0"]
    assert got[-1].status == "delivered" and got[-1].attempts == 2 and got[-1].last_status_code == 200
    assert len(await admin.list_deliveries("w1", limit=1)) == 1
    assert await admin.delete_webhook("w1") and not await admin.delete_webhook("w1")
    assert await admin.get_webhook("w1") is None and await admin.list_webhooks(org_id="acme") == []


async def test_idempotency_reserve_complete_release(admin: AdminStore) -> None:
    assert await admin.idem_reserve("acme:grade", "k", "h1", ttl=60) is None
    pending = await admin.idem_reserve("acme:grade", "k", "h1", ttl=60)
    assert pending == IdempotencyRecord("h1", False)
    await admin.idem_complete("acme:grade", "k", IdempotencyRecord("h1", True, 200, "{}"), ttl=60)
    assert await admin.idem_reserve("acme:grade", "k", "h2", ttl=60) == IdempotencyRecord("h1", True, 200, "{}")
    assert await admin.idem_reserve("beta:grade", "k", "h1", ttl=60) is None  # scopes are separate
    await admin.idem_release("acme:grade", "k")
    assert await admin.idem_reserve("acme:grade", "k", "h3", ttl=60) is None


async def test_idempotency_reservation_is_exclusive_under_concurrency(admin: AdminStore) -> None:
    results = await asyncio.gather(*(admin.idem_reserve("s", "same", "h", ttl=60) for _ in range(20)))
    assert sum(r is None for r in results) == 1


async def test_idempotency_expires(admin: AdminStore) -> None:
    assert await admin.idem_reserve("s", "k", "h", ttl=0.05) is None
    await asyncio.sleep(0.2)
    assert await admin.idem_reserve("s", "k", "h", ttl=60) is None


async def test_session_meta_and_org_questions(admin: AdminStore) -> None:
    await admin.put_session_meta(SessionMeta("s1", "acme", 1.0, "cand-7", "k1"))
    await admin.put_session_meta(SessionMeta("s2", "acme", 2.0))
    metas = await admin.get_session_metas(["s1", "s2", "s3"])
    assert set(metas) == {"s1", "s2"} and metas["s1"].candidate_ref == "cand-7"
    assert await admin.get_session_metas([]) == {}
    await admin.delete_session_meta("s1")
    await admin.delete_session_meta("s9")  # nothing to delete is no error
    assert set(await admin.get_session_metas(["s1", "s2"])) == {"s2"}
    await admin.put_question("acme", "q1", {"text": "Why?"})
    assert await admin.get_question("acme", "q1") == {"text": "Why?"}
    assert await admin.get_question("beta", "q1") is None
