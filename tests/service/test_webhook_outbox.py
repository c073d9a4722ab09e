"""The webhook outbox with real processes: an event queued by a process killed with SIGKILL is
delivered by the next one; a full backlog drops events with a typed error, a metric and a log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from interviewer import metrics
from interviewer.adapters.store.admin_sqlite import SqliteAdminStore
from interviewer.adapters.webhooks.http import HttpPoster
from interviewer.client import verify_signature
from interviewer.errors import WebhookBacklogFull
from interviewer.service.records import WebhookRecord
from interviewer.service.webhooks import BACKLOG_FULL, WebhookDispatcher
from tests.api.authkit import Receiver
from tests.conftest import REPO, wait_for

pytestmark = pytest.mark.timeout(120)

# One "instance": a dispatcher on the given store; `emit` queues one event, then both keep polling.
INSTANCE = """
import asyncio, sys, time
from interviewer.service.records import WebhookRecord
from interviewer.adapters.webhooks.http import HttpPoster
from interviewer.service.webhooks import WebhookDispatcher

async def main(kind, where, mode, url):
    if kind == "sqlite":
        from pathlib import Path
        from interviewer.adapters.store.admin_sqlite import SqliteAdminStore
        admin = SqliteAdminStore(Path(where))
    else:
        from interviewer.adapters.store.admin_redis import RedisAdminStore
        admin = RedisAdminStore.from_url(where)
    d = WebhookDispatcher(admin, HttpPoster(allow_private=True, timeout=2), timeout=2, backoff_base=0.2,
                          backoff_max=0.5, max_attempts=30, poll_interval=0.1)
    d.start()
    if mode == "emit":
        await admin.create_webhook(WebhookRecord("wh_1", "acme", url, ("grade.created",), "whsec_1", 1.0))
        await d.emit("acme", "grade.created", {"session_id": "s_1"})
    print("ready", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main(*sys.argv[1:]))
"""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


def instance(kind: str, where: str, mode: str, url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    p = subprocess.Popen([sys.executable, "-c", INSTANCE, kind, where, mode, url], env=env,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    return p


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_an_event_survives_sigkill_and_is_sent_by_the_next_process(
        kind: str, tmp_path: Path, receiver: Receiver, request: pytest.FixtureRequest) -> None:
    where = str(tmp_path / "admin.sqlite3") if kind == "sqlite" else request.getfixturevalue("redis_server").url
    receiver.fail = 10**6  # the partner is down while the first process runs
    url = receiver.start()
    first = instance(kind, where, "emit", url)
    try:
        wait_for(lambda: receiver.attempts >= 1)  # it tried, failed, and the entry waits for a retry
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    with receiver.lock:
        receiver.fail = receiver.attempts  # the partner is back
        tried = receiver.attempts
    second = instance(kind, where, "serve", "")  # knows nothing of the event: it reads the outbox
    try:
        wait_for(lambda: len(receiver.received) >= 1)
        time.sleep(1.0)  # a duplicate would come within a few polls
    finally:
        second.send_signal(signal.SIGKILL)
        second.wait(timeout=10)
    (headers, body), = receiver.received
    assert verify_signature("whsec_1", headers["interviewer-signature"], body)
    ev = json.loads(body)
    assert ev["type"] == "grade.created" and ev["data"] == {"session_id": "s_1"}
    assert tried >= 1


async def test_a_full_backlog_drops_the_event_with_a_typed_error_and_a_metric(tmp_path: Path) -> None:
    admin = SqliteAdminStore(tmp_path / "admin.sqlite3")
    # never started: nothing is sent
    d = WebhookDispatcher(admin, HttpPoster(allow_private=True), backlog_max=2)
    await admin.create_webhook(WebhookRecord("wh_1", "acme", "http://127.0.0.1:9/x", ("grade.created",),
                                             "whsec_1", 1.0))
    await d.enqueue("acme", "grade.created", {"n": 1})
    await d.enqueue("acme", "grade.created", {"n": 2})
    with pytest.raises(WebhookBacklogFull):
        await d.enqueue("acme", "grade.created", {"n": 3})
    dropped = metrics.WEBHOOK_DROPPED._value.get()
    await d.emit("acme", "grade.created", {"n": 4})  # never raises: grading must not fail for it
    assert metrics.WEBHOOK_DROPPED._value.get() == dropped + 1
    log = await admin.list_deliveries("wh_1")
    assert [x.status for x in log] == ["failed", "failed", "pending", "pending"]
    assert log[0].last_error == BACKLOG_FULL
    assert await admin.outbox_size() == 2
    await d.close()
    await admin.close()
