"""Webhook deliveries: signed, retried with exponential backoff, logged, in order per endpoint.

An event caused by a session's change (a grade, a finished interview) is made with `owe` and
committed with that change (`SessionStore.commit(owed=...)`, one transaction); `relay` then writes
one outbox entry per matching webhook to the store (the `WebhookOutbox` port) and forgets the owed
event. If the instance dies between the two, any instance's poller relays what is still owed once
it is due (`lease` seconds after the commit), with the same event id and delivery ids, so no crash
loses such an event. `emit` (events with no session commit of their own) writes to the outbox at
once. Grading never waits for a partner's server. Every instance polls the outbox and sends the
entries it can lease, one webhook's entries one after another (a failing endpoint delays its own
later events, never another's). An entry whose instance died mid-send is leased again after
`lease` seconds by any instance, so each event is delivered at least once, also across restarts.
The outbox holds at most `backlog_max` entries; beyond that an event is dropped, logged
(`webhook.dropped`), counted (`interviewer_webhook_dropped_total`) and its delivery marked failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import replace
from typing import Any

from interviewer import metrics
from interviewer.errors import DeliveryUnreachable, WebhookBacklogFull
from interviewer.service.ports import AdminStore, OwedEvents, WebhookOutbox, WebhookPoster
from interviewer.service.records import DeliveryRecord, OutboxEntry, OwedEvent, WebhookRecord

log = logging.getLogger("interviewer.webhooks")

EVENT_TYPES = ("interview.completed", "grade.created", "grade.overridden")
TEST_EVENT = "webhook.test"
SIGNATURE_HEADER = "Interviewer-Signature"
BACKLOG_MAX = 10_000  # outbox entries, all webhooks together (INTERVIEWER_WEBHOOK_BACKLOG_MAX)
BACKLOG_FULL = "the webhook backlog is full; event dropped"
# What a partner sees for every failure without an HTTP answer (refused address, closed port, timeout,
# broken response): one text, so the delivery log cannot be used to scan a network.
UNREACHABLE = "no HTTP response from the webhook URL"


def sign(secret: str, body: bytes, t: int) -> str:
    """The signature header value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`."""
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(type_: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"evt_{secrets.token_hex(12)}", "type": type_, "created": int(time.time()),
            "data": data}


def delivery_id(event_id: str, webhook_id: str) -> str:
    """One event's delivery to one webhook: the same id however often the event is relayed."""
    return "dlv_" + hashlib.sha256(f"{event_id}:{webhook_id}".encode()).hexdigest()[:20]


class WebhookDispatcher:
    def __init__(self, admin: AdminStore, poster: WebhookPoster, outbox: WebhookOutbox | None = None,
                 *, owed: OwedEvents | None = None, timeout: float = 10.0, max_attempts: int = 8,
                 backoff_base: float = 2.0, backoff_max: float = 600.0, backlog_max: int = BACKLOG_MAX,
                 poll_interval: float = 1.0) -> None:
        """`timeout` is the poster's per-attempt bound: an entry's lease outlasts it. `owed` is the
        session store's relay queue (events committed with the state); None: nothing to relay."""
        self.admin, self.poster, self.owed = admin, poster, owed
        self.outbox = outbox if outbox is not None else outbox_of(admin)
        self.timeout, self.max_attempts = timeout, max_attempts
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        self.backlog_max, self.poll_interval = backlog_max, poll_interval
        # Longer than one attempt can take, so that a live sender is never overtaken.
        self.lease = 2 * timeout + 10.0
        self._poller: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._sending: dict[str, asyncio.Task[None]] = {}  # webhook id -> its send in progress

    def start(self) -> None:
        """Start polling the outbox (idempotent; needs a running event loop)."""
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll(), name="webhooks.poller")

    async def emit(self, org_id: str, type_: str, data: dict[str, Any]) -> None:
        """Put an event in the outbox for each of the org's webhooks that wants it; never raises.

        Only for an event that no session commit carries: one that does goes through `owe` and
        `relay`, so that a crash or a store outage cannot lose it."""
        try:
            await self.enqueue(org_id, type_, data)
        except WebhookBacklogFull:
            metrics.WEBHOOK_DROPPED.inc()
            log.error("webhook.dropped", extra={"org_id": org_id, "type": type_, "reason": "backlog full"})
        except Exception:  # a store outage must not fail the interview; the event is logged
            metrics.WEBHOOK_DROPPED.inc()
            log.exception("webhook.dropped", extra={"org_id": org_id, "type": type_})

    def owe(self, org_id: str, session_id: str, type_: str, data: dict[str, Any]) -> OwedEvent:
        """A new event, to be committed with the session change that causes it, then `relay`ed."""
        ev = event(type_, data)
        return OwedEvent(ev["id"], session_id, org_id, type_, json.dumps(ev, separators=(",", ":")),
                         time.time() + self.lease)

    async def relay(self, owed: list[OwedEvent]) -> None:
        """Move committed events to the outbox, in order, and forget them; never raises.

        An event the outbox could not take (store outage) stays owed, and so do the ones after it
        (order per webhook): a poller moves them when they are due. A full backlog drops the event
        (as `emit` does)."""
        moved: list[str] = []
        for o in owed:
            try:
                await self._fan_out(o.org_id, o.event_id, o.event_type, o.body)
            except WebhookBacklogFull:
                metrics.WEBHOOK_DROPPED.inc()
                log.error("webhook.dropped", extra={"org_id": o.org_id, "type": o.event_type,
                                                    "event_id": o.event_id, "reason": "backlog full"})
            except Exception:  # the store is unavailable: the event stays owed, tried again later
                log.exception("webhook.relay_failed", extra={"event_id": o.event_id, "type": o.event_type})
                break
            moved.append(o.event_id)
        if moved and self.owed is not None:
            try:
                await self.owed.owed_settle(moved)
            except Exception:  # relayed again later: the same delivery ids, the outbox skips them
                log.exception("webhook.settle_failed", extra={"event_ids": moved})

    async def enqueue(self, org_id: str, type_: str, data: dict[str, Any]) -> list[DeliveryRecord]:
        """The event's deliveries, written to the outbox; WebhookBacklogFull when it is full."""
        ev = event(type_, data)
        return await self._fan_out(org_id, ev["id"], type_, json.dumps(ev, separators=(",", ":")))

    async def _fan_out(self, org_id: str, event_id: str, type_: str, body: str) -> list[DeliveryRecord]:
        """One outbox entry per webhook of the org that wants the event; WebhookBacklogFull."""
        now = time.time()
        hooks = [h for h in await self.admin.list_webhooks(org_id=org_id) if h.active and type_ in h.events]
        records = [DeliveryRecord(delivery_id(event_id, h.webhook_id), h.webhook_id, h.org_id, event_id,
                                  type_, "pending", 0, now, now) for h in hooks]
        if not records:
            return []
        entries = [OutboxEntry(d.delivery_id, d.webhook_id, body, now) for d in records]
        if not await self.outbox.outbox_add(entries, now=now, limit=self.backlog_max):
            for d in records:
                await self.admin.save_delivery(replace(d, status="failed", last_error=BACKLOG_FULL))
            raise WebhookBacklogFull(BACKLOG_FULL)
        for d in records:
            await self.admin.save_delivery(d)
        self._wake.set()
        return records

    async def _poll(self) -> None:
        while True:
            self._wake.clear()
            for step in (self._relay_due, self._claim_and_send):  # either store may be down
                try:
                    await step()
                except Exception:  # a store outage must not end the poller: try again next round
                    log.exception("webhook.poll_failed", extra={"step": step.__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)

    async def _relay_due(self) -> None:
        """Relay the events whose committing instance did not (it died, or the outbox failed it)."""
        if self.owed is not None:
            due = await self.owed.owed_claim(now=time.time(), lease=self.lease, limit=100)
            if due:
                log.info("webhook.relay_owed", extra={"events": len(due)})
                await self.relay(due)

    async def _claim_and_send(self) -> None:
        entries = await self.outbox.outbox_claim(now=time.time(), lease=self.lease, limit=100)
        for e in entries:
            if e.webhook_id in self._sending:  # our own send outlived its lease: let it finish
                continue
            self._sending[e.webhook_id] = asyncio.create_task(self._send(e), name="webhooks.send")
        metrics.WEBHOOK_BACKLOG.set(await self.outbox.outbox_size())

    async def _send(self, e: OutboxEntry) -> None:
        try:
            await self._deliver(e)
        except Exception:
            log.exception("webhook.send_failed", extra={"webhook_id": e.webhook_id})
        finally:
            self._sending.pop(e.webhook_id, None)
            self._wake.set()  # the webhook's next entry may be due now

    async def _deliver(self, e: OutboxEntry) -> DeliveryRecord:
        """One attempt at an entry; then it leaves the outbox, or waits there for its next try."""
        ev = json.loads(e.body)
        d = DeliveryRecord(e.delivery_id, e.webhook_id, "", ev["id"], ev["type"], "pending", e.attempts,
                           e.created_at, time.time())
        hook = await self.admin.get_webhook(e.webhook_id)
        if hook is None:  # deleted meanwhile: stop sending
            d = replace(d, status="failed", last_error="webhook deleted")
            await self.outbox.outbox_done(e, now=time.time())
            return d
        n = e.attempts + 1
        d = await self.attempt(hook, replace(d, org_id=hook.org_id), e.body.encode(), n)
        if d.status != "delivered" and n < self.max_attempts:
            await self.outbox.outbox_retry(replace(e, attempts=n), due_at=time.time() + self.backoff(n))
            return d
        if d.status != "delivered":
            d = replace(d, status="failed")
            await self.admin.save_delivery(d)
            log.warning("webhook.failed", extra={"webhook_id": d.webhook_id, "delivery_id": d.delivery_id})
        await self.outbox.outbox_done(e, now=time.time())
        return d

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return float(min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))

    async def attempt(self, hook: WebhookRecord, d: DeliveryRecord, body: bytes, n: int) -> DeliveryRecord:
        """One signed POST; the delivery record is updated and saved with the outcome."""
        headers = {"Content-Type": "application/json",
                   SIGNATURE_HEADER: sign(hook.secret, body, int(time.time())),
                   "Interviewer-Event": d.event_type, "Interviewer-Delivery": d.delivery_id,
                   "User-Agent": "interviewer-webhooks/1"}
        code: int | None = None
        error = ""
        try:
            code = await self.poster.post(hook.url, body, headers)
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except DeliveryUnreachable as exc:
            log.info("webhook.unreachable", extra={"webhook_id": hook.webhook_id, "error": str(exc)})
            error = UNREACHABLE
        status = "delivered" if code is not None and 200 <= code < 300 else "pending"
        d = replace(d, status=status, attempts=n, updated_at=time.time(), last_status_code=code,
                    last_error=error)
        await self.admin.save_delivery(d)
        log.info("webhook.attempt", extra={"webhook_id": hook.webhook_id, "status": status, "code": code})
        return d

    async def send_test(self, hook: WebhookRecord) -> DeliveryRecord:
        """Deliver one `webhook.test` event now, in one attempt, and return its delivery record."""
        ev = event(TEST_EVENT, {"webhook_id": hook.webhook_id, "message": "test delivery"})
        now = time.time()
        d = DeliveryRecord(f"dlv_{secrets.token_hex(10)}", hook.webhook_id, hook.org_id, ev["id"],
                           TEST_EVENT, "pending", 0, now, now)
        d = await self.attempt(hook, d, json.dumps(ev, separators=(",", ":")).encode(), 1)
        if d.status != "delivered":
            d = replace(d, status="failed")
            await self.admin.save_delivery(d)
        return d

    async def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until this instance's sends in progress are done (graceful shutdown, tests).

        What is still in the outbox stays there for the next instance to send."""
        pending = list(self._sending.values())
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    async def close(self) -> None:
        tasks = list(self._sending.values()) + ([self._poller] if self._poller else [])
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._sending.clear()
        self._poller = None
        await self.poster.close()


def outbox_of(admin: AdminStore) -> WebhookOutbox:
    """The admin store's own outbox (every store that can keep webhooks can keep their outbox)."""
    if not isinstance(admin, WebhookOutbox):
        raise TypeError(f"{type(admin).__name__} has no webhook outbox (the WebhookOutbox port)")
    return admin
