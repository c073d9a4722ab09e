"""Events committed with the session state (owed) and relayed to the outbox, on real SQLite files:
an outbox that cannot take them (its file locked past the busy timeout) leaves them owed instead
of dropping them, and the poller moves them later with the id they were committed with."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from interviewer.adapters.store.admin_sqlite import SqliteAdminStore
from interviewer.adapters.store.sessions_sqlite import SqliteSessionStore
from interviewer.adapters.webhooks.http import HttpPoster
from interviewer.service.records import StoredSession, WebhookRecord
from interviewer.service.webhooks import WebhookDispatcher, delivery_id
from tests.api.authkit import Receiver

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


async def test_an_event_the_outbox_could_not_take_stays_owed_and_goes_out_later(
        tmp_path: Path, receiver: Receiver) -> None:
    store = SqliteSessionStore(tmp_path / "interviewer.sqlite3")
    admin = SqliteAdminStore(tmp_path / "admin.sqlite3")
    d = WebhookDispatcher(admin, HttpPoster(allow_private=True, timeout=0.5), owed=store, timeout=0.5,
                          poll_interval=0.1)
    await admin.create_webhook(WebhookRecord("wh_1", "acme", receiver.start(), ("grade.created",),
                                             "whsec_1", 1.0))
    await store.create(StoredSession("s1", {"phase": "asking"}, 0, "hash", "acme", 1.0, 1.0))
    ev = d.owe("acme", "s1", "grade.created", {"session_id": "s1", "n": 1})
    await store.commit("s1", state={"phase": "asking", "graded": 1}, messages=[], last_seq=1, owed=[ev])
    lock = sqlite3.connect(tmp_path / "admin.sqlite3", isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # another process holds the admin file past the busy timeout
    try:
        await d.relay([ev])  # never raises
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert await admin.outbox_size() == 0 and await admin.list_deliveries("wh_1") == []
    d.start()  # the poller: the event is due `lease` seconds after its commit
    try:
        deadline = time.monotonic() + 60
        while not receiver.received:
            assert time.monotonic() < deadline, "the owed event was never sent"
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # a duplicate would come within a few polls
    finally:
        await d.close()
    (headers, body), = receiver.received
    assert json.loads(body)["id"] == ev.event_id and body.decode() == ev.body
    assert headers["interviewer-delivery"] == delivery_id(ev.event_id, "wh_1")
    (log,) = await admin.list_deliveries("wh_1")
    assert log.status == "delivered" and log.event_id == ev.event_id
    assert await store.owed_claim(now=time.time() + 10**6, lease=1.0, limit=10) == []  # settled
    await store.close()
    await admin.close()
