"""Webhook deliveries: signed, retried with exponential backoff, logged, in order per endpoint.

`emit` only puts the event on a queue, so grading never waits for a partner's server. One router
task fans each event out to the org's webhooks; each webhook has one worker that delivers its
events one after another (a failing endpoint delays its own later events, never another's).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import replace
from typing import Any

import httpx

from interviewer.core.ports import AdminStore, DeliveryRecord, WebhookRecord
from interviewer.service.webhook_targets import Resolver, TargetRefused, resolve_target, system_resolve

log = logging.getLogger("interviewer.webhooks")

EVENT_TYPES = ("interview.completed", "grade.created", "grade.overridden")
TEST_EVENT = "webhook.test"
SIGNATURE_HEADER = "Interviewer-Signature"
QUEUE_MAX = 10_000
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


class WebhookDispatcher:
    def __init__(self, admin: AdminStore, *, timeout: float = 10.0, max_attempts: int = 8,
                 backoff_base: float = 2.0, backoff_max: float = 600.0, allow_private: bool = False,
                 resolve: Resolver = system_resolve) -> None:
        self.admin = admin
        self.allow_private, self.resolve = allow_private, resolve
        self.timeout, self.max_attempts = timeout, max_attempts
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]]] | None = None
        self._router: asyncio.Task[None] | None = None
        self._hooks: dict[str, tuple[asyncio.Queue[DeliveryRecord | None], asyncio.Task[None]]] = {}
        self._bodies: dict[str, bytes] = {}
        self._http: httpx.AsyncClient | None = None
        self._pending = 0

    def _start(self) -> asyncio.Queue[tuple[str, dict[str, Any]]]:
        if self._queue is None or self._router is None or self._router.done():
            self._queue = asyncio.Queue(QUEUE_MAX)
            self._http = self._http or httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
            self._router = asyncio.create_task(self._route(self._queue), name="webhooks.router")
        return self._queue

    def emit(self, org_id: str, type_: str, data: dict[str, Any]) -> None:
        """Queue an event for the org's webhooks; never blocks, never raises."""
        try:
            self._start().put_nowait((org_id, event(type_, data)))
            self._pending += 1
        except asyncio.QueueFull:
            log.error("webhook.dropped", extra={"org_id": org_id, "type": type_})

    async def _route(self, queue: asyncio.Queue[tuple[str, dict[str, Any]]]) -> None:
        while True:
            org_id, ev = await queue.get()
            try:
                for hook in await self.admin.list_webhooks(org_id=org_id):
                    if hook.active and ev["type"] in hook.events:
                        await self._enqueue(hook, ev)
            except Exception:  # a store outage must not kill the router; the event is logged
                log.exception("webhook.route_failed", extra={"org_id": org_id, "type": ev["type"]})
            finally:
                self._pending -= 1

    async def _enqueue(self, hook: WebhookRecord, ev: dict[str, Any]) -> None:
        now = time.time()
        d = DeliveryRecord(f"dlv_{secrets.token_hex(10)}", hook.webhook_id, hook.org_id, ev["id"],
                           ev["type"], "pending", 0, now, now)
        await self.admin.save_delivery(d)
        self._bodies[d.delivery_id] = json.dumps(ev, separators=(",", ":")).encode()
        if hook.webhook_id not in self._hooks:
            q: asyncio.Queue[DeliveryRecord | None] = asyncio.Queue()
            task = asyncio.create_task(self._worker(hook.webhook_id, q), name="webhooks.worker")
            self._hooks[hook.webhook_id] = (q, task)
        self._pending += 1
        self._hooks[hook.webhook_id][0].put_nowait(d)

    async def _worker(self, webhook_id: str, q: asyncio.Queue[DeliveryRecord | None]) -> None:
        while True:
            d = await q.get()
            if d is None:
                return
            try:
                body = self._bodies.pop(d.delivery_id)
                await self._deliver(d, body)
            except Exception:
                log.exception("webhook.worker_failed", extra={"webhook_id": webhook_id})
            finally:
                self._pending -= 1

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return float(min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))

    async def _deliver(self, d: DeliveryRecord, body: bytes) -> DeliveryRecord:
        for attempt in range(1, self.max_attempts + 1):
            hook = await self.admin.get_webhook(d.webhook_id)
            if hook is None:  # deleted meanwhile: stop sending
                d = replace(d, status="failed", last_error="webhook deleted", updated_at=time.time())
                await self.admin.save_delivery(d)
                return d
            d = await self.attempt(hook, d, body, attempt)
            if d.status == "delivered":
                return d
            if attempt < self.max_attempts:
                await asyncio.sleep(self.backoff(attempt))
        d = replace(d, status="failed")
        await self.admin.save_delivery(d)
        log.warning("webhook.failed", extra={"webhook_id": d.webhook_id, "delivery_id": d.delivery_id})
        return d

    async def attempt(self, hook: WebhookRecord, d: DeliveryRecord, body: bytes, n: int) -> DeliveryRecord:
        """One signed POST; the delivery record is updated and saved with the outcome."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        headers = {"Content-Type": "application/json",
                   SIGNATURE_HEADER: sign(hook.secret, body, int(time.time())),
                   "Interviewer-Event": d.event_type, "Interviewer-Delivery": d.delivery_id,
                   "User-Agent": "interviewer-webhooks/1"}
        code: int | None = None
        error = ""
        try:
            code = await self._post(hook.url, body, headers)
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except (httpx.HTTPError, TargetRefused) as exc:
            log.info("webhook.unreachable", extra={"webhook_id": hook.webhook_id,
                                                   "error": f"{type(exc).__name__}: {exc}"[:300]})
            error = UNREACHABLE
        status = "delivered" if code is not None and 200 <= code < 300 else "pending"
        d = replace(d, status=status, attempts=n, updated_at=time.time(), last_status_code=code,
                    last_error=error)
        await self.admin.save_delivery(d)
        log.info("webhook.attempt", extra={"webhook_id": hook.webhook_id, "status": status, "code": code})
        return d

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST to the checked address of `url` (Host and TLS name kept); the HTTP status."""
        assert self._http is not None
        target = await resolve_target(url, allow_private=self.allow_private, resolve=self.resolve)
        u = httpx.URL(url)
        netloc = u.netloc.decode("ascii")
        extensions = {"sni_hostname": target.host} if u.scheme == "https" else {}
        r = await self._http.post(u.copy_with(host=target.ip), content=body,
                                  headers={**headers, "Host": netloc}, extensions=extensions)
        return r.status_code

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
        """Wait until every queued event is delivered or given up (tests, graceful shutdown)."""
        deadline = time.monotonic() + timeout
        while self._pending > 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        tasks = [t for _, t in self._hooks.values()] + ([self._router] if self._router else [])
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._hooks.clear()
        self._router = self._queue = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None
