"""The WebhookOutbox contract, run against SQLite, a real redis-server and a real PostgreSQL (the admin stores)."""

from __future__ import annotations

from dataclasses import replace

from interviewer.service.ports import AdminStore, WebhookOutbox
from interviewer.service.records import OutboxEntry


def entry(dlv: str, hook: str = "wh_a") -> OutboxEntry:
    return OutboxEntry(dlv, hook, f'{{"id":"evt_{dlv}"}}', 1.0)


def outbox(admin: AdminStore) -> WebhookOutbox:
    assert isinstance(admin, WebhookOutbox)
    return admin


async def test_one_entry_per_webhook_in_order(admin: AdminStore) -> None:
    ob = outbox(admin)
    assert await ob.outbox_add([entry("a1"), entry("a2")], now=100.0, limit=10)
    assert await ob.outbox_add([entry("b1", "wh_b")], now=100.0, limit=10)
    assert await ob.outbox_size() == 3
    got = await ob.outbox_claim(now=100.0, lease=30.0, limit=10)
    assert sorted(e.delivery_id for e in got) == ["a1", "b1"]
    assert got[0] == entry(got[0].delivery_id, got[0].webhook_id)  # body and fields round-trip
    # leased: nobody else gets them, and a2 waits behind a1
    assert await ob.outbox_claim(now=101.0, lease=30.0, limit=10) == []
    await ob.outbox_done(entry("a1"), now=102.0)
    assert [e.delivery_id for e in await ob.outbox_claim(now=102.0, lease=30.0, limit=10)] == ["a2"]
    assert await ob.outbox_size() == 2


async def test_retry_keeps_the_entry_first_until_it_is_due(admin: AdminStore) -> None:
    ob = outbox(admin)
    await ob.outbox_add([entry("a1"), entry("a2")], now=100.0, limit=10)
    (e,) = await ob.outbox_claim(now=100.0, lease=30.0, limit=10)
    await ob.outbox_retry(replace(e, attempts=1), due_at=105.0)
    assert await ob.outbox_claim(now=104.0, lease=30.0, limit=10) == []
    (again,) = await ob.outbox_claim(now=105.0, lease=30.0, limit=10)
    assert again.delivery_id == "a1" and again.attempts == 1


async def test_an_expired_lease_is_claimed_again_and_a_late_done_is_harmless(admin: AdminStore) -> None:
    ob = outbox(admin)
    await ob.outbox_add([entry("a1"), entry("a2")], now=100.0, limit=10)
    (first,) = await ob.outbox_claim(now=100.0, lease=30.0, limit=10)
    (second,) = await ob.outbox_claim(now=131.0, lease=30.0, limit=10)  # its instance died
    assert first.delivery_id == second.delivery_id == "a1"
    await ob.outbox_done(second, now=132.0)
    await ob.outbox_done(first, now=133.0)  # the first sender, late: must not remove a2
    (nxt,) = await ob.outbox_claim(now=133.0, lease=30.0, limit=10)
    assert nxt.delivery_id == "a2" and await ob.outbox_size() == 1
    await ob.outbox_done(nxt, now=134.0)
    assert await ob.outbox_size() == 0 and await ob.outbox_claim(now=200.0, lease=1, limit=10) == []


async def test_the_backlog_is_bounded_all_or_nothing(admin: AdminStore) -> None:
    ob = outbox(admin)
    assert await ob.outbox_add([entry("a1"), entry("b1", "wh_b")], now=1.0, limit=3)
    assert not await ob.outbox_add([entry("a2"), entry("b2", "wh_b")], now=1.0, limit=3)
    assert await ob.outbox_size() == 2
    assert await ob.outbox_add([entry("a2")], now=1.0, limit=3)
    assert not await ob.outbox_add([entry("a3")], now=1.0, limit=3)


async def test_an_entry_added_twice_waits_once(admin: AdminStore) -> None:
    ob = outbox(admin)
    assert await ob.outbox_add([entry("a1")], now=100.0, limit=10)
    assert await ob.outbox_add([entry("a1"), entry("a2")], now=101.0, limit=10)  # a relay run twice
    assert await ob.outbox_size() == 2
    (first,) = await ob.outbox_claim(now=101.0, lease=30.0, limit=10)
    await ob.outbox_done(first, now=102.0)
    (nxt,) = await ob.outbox_claim(now=102.0, lease=30.0, limit=10)
    assert (first.delivery_id, nxt.delivery_id) == ("a1", "a2") and await ob.outbox_size() == 1
