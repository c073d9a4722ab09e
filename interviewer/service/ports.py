"""Ports of the service layer: session stores, live events, admin records (keys, audit,
webhooks, the outbox), webhook delivery and the code sandbox. The adapters in
interviewer/adapters/ implement them; the core never sees them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol, runtime_checkable

from interviewer.core.code import CodeCase, CodeLimits, CodeProblem, RunResult
from interviewer.service.records import (
    ApiKeyRecord,
    AuditEntry,
    DeliveryRecord,
    IdempotencyRecord,
    Indexer,
    ListingQuery,
    OutboxEntry,
    OwedEvent,
    SessionMeta,
    StoredSession,
    WebhookRecord,
)

# Derives the listing fields of a state (None: not an interview state, nothing to index).


class SessionStore(Protocol):
    """Durable sessions: the state and the log of replayable server messages."""

    async def create(self, session: StoredSession) -> None: ...

    async def get(self, session_id: str) -> StoredSession | None: ...

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
        """Atomically save the state, append messages (each carrying its `seq`) and record the
        webhook events the change owes (see `OwedEvents`): all of it or nothing.

        With `owner`, the commit fails with `Superseded` unless that owner holds the session.
        """
        ...

    async def claim(self, session_id: str, owner: str) -> None:
        """Make `owner` (one socket on one instance) the session's holder; the newest claim wins."""
        ...

    async def messages_after(self, session_id: str, last_seq: int) -> list[dict[str, Any]]: ...

    async def list_sessions(
        self, *, org_id: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[StoredSession]: ...

    async def delete(self, session_id: str) -> bool:
        """Remove the session and its messages (and its index entries); False when there is none."""
        ...

    async def created_before(self, before: float, *, limit: int = 500) -> list[StoredSession]:
        """Sessions created before `before` (unix seconds), oldest first, of every org."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class IndexedStore(Protocol):
    """A SessionStore that keeps listing columns (SQLite, PostgreSQL): filtered keyset pages."""

    indexer: Indexer | None

    async def query_page(
        self, *, org_id: str, query: ListingQuery, limit: int, after: tuple[float, str] | None = None
    ) -> list[StoredSession]:
        """The org's sessions matching `query`, newest first (created_at, then session_id,
        descending), strictly after the keyset `after`."""
        ...


@runtime_checkable
class OrphanedWork(Protocol):
    """Sessions whose background work (grading, follow-up selection) lost its instance.

    A session's owner (see `SessionStore.claim`) is `<instance id>:<anything>`. Each live instance
    renews its heartbeat; a session waiting on work (phase grading or selecting) whose owner's
    instance has no live heartbeat is orphaned, and any instance may adopt it.
    """

    async def heartbeat(self, instance: str, *, ttl: float) -> None:
        """Mark `instance` alive for the next `ttl` seconds."""
        ...

    async def orphaned(self, *, limit: int = 50) -> list[tuple[str, str | None]]:
        """Up to `limit` orphaned sessions, as (session id, its owner)."""
        ...

    async def adopt(self, session_id: str, *, expected_owner: str | None, owner: str) -> bool:
        """Make `owner` the holder only if `expected_owner` still is; False otherwise."""
        ...


@runtime_checkable
class OwedEvents(Protocol):
    """Webhook events committed with the session state that caused them (`SessionStore.commit`'s
    `owed`) and not yet in the webhook outbox: the transactional outbox's relay queue.

    The committing instance moves them to the outbox at once; if it dies first, any instance claims
    them once due and moves them. Moving one twice is harmless: its event id and delivery ids stay.
    """

    async def owed_claim(self, *, now: float, lease: float, limit: int) -> list[OwedEvent]:
        """Lease up to `limit` due events, oldest first: due again `lease` seconds from `now`."""
        ...

    async def owed_settle(self, event_ids: Sequence[str]) -> None:
        """Forget events that are in the outbox now (or were dropped there); unknown ids are fine."""
        ...


class Subscription(Protocol):
    """Live messages of one session, in publish order; `async with` it to be subscribed on entry."""

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]: ...

    async def __anext__(self) -> dict[str, Any]: ...

    async def __aenter__(self) -> Subscription: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def aclose(self) -> None: ...


class SessionEvents(Protocol):
    """Fan-out of a session's live messages between instances: at most once, never stored.

    What must survive goes through `SessionStore.commit`; a subscriber that missed messages
    catches up with `SessionStore.messages_after`.
    """

    async def publish(self, session_id: str, message: dict[str, Any]) -> None: ...

    def subscribe(self, session_id: str) -> Subscription:
        """Messages published on the session from now on (from when `async with` entered it)."""
        ...

    async def close(self) -> None: ...


# ---- administration: keys, audit, webhooks, deliveries, idempotency, session metadata ----


@runtime_checkable
class WebhookOutbox(Protocol):
    """Webhook deliveries waiting to be sent, kept in the store so that any instance sends them,
    also after a crash or restart of the one that queued them.

    Each webhook's entries go out one at a time, in the order added. A claim leases a webhook's
    oldest entry for `lease` seconds; if it is neither done nor retried by then (its instance died),
    any instance may claim it again: delivery is at least once.
    """

    async def outbox_add(self, entries: Sequence[OutboxEntry], *, now: float, limit: int) -> bool:
        """Append entries (all or none); False, adding nothing, when `limit` would be exceeded.

        An entry whose delivery id is already waiting is not added again (a relay run twice)."""
        ...

    async def outbox_claim(self, *, now: float, lease: float, limit: int) -> list[OutboxEntry]:
        """Lease up to `limit` due entries, at most one per webhook (its oldest)."""
        ...

    async def outbox_retry(self, entry: OutboxEntry, *, due_at: float) -> None:
        """Keep the entry first in its webhook's line, with `entry.attempts`, due again at `due_at`."""
        ...

    async def outbox_done(self, entry: OutboxEntry, *, now: float) -> None:
        """Remove a delivered or abandoned entry; the webhook's next entry is due at once."""
        ...

    async def outbox_size(self) -> int:
        """How many entries wait (every webhook, every org)."""
        ...


class AdminStore(Protocol):
    """Durable administration data shared by every instance (SQLite alone, Redis when scaled out)."""

    async def create_key(self, key: ApiKeyRecord) -> None: ...

    async def get_key(self, key_id: str) -> ApiKeyRecord | None: ...

    async def list_keys(self, *, org_id: str | None = None) -> list[ApiKeyRecord]: ...

    async def revoke_key(self, key_id: str, *, at: float) -> bool:
        """Mark a key revoked; False when there is no such key."""
        ...

    async def touch_key(self, key_id: str, *, at: float) -> None: ...

    async def append_audit(self, entry: AuditEntry) -> None: ...

    async def list_audit(self, session_id: str) -> list[AuditEntry]:
        """The session's audit entries, oldest first."""
        ...

    async def create_webhook(self, hook: WebhookRecord) -> None: ...

    async def get_webhook(self, webhook_id: str) -> WebhookRecord | None: ...

    async def list_webhooks(self, *, org_id: str) -> list[WebhookRecord]: ...

    async def delete_webhook(self, webhook_id: str) -> bool: ...

    async def save_delivery(self, delivery: DeliveryRecord) -> None:
        """Insert or update a delivery (by id)."""
        ...

    async def list_deliveries(self, webhook_id: str, *, limit: int = 50) -> list[DeliveryRecord]:
        """The webhook's deliveries, newest first."""
        ...

    async def idem_reserve(
        self, scope: str, key: str, request_hash: str, *, ttl: float
    ) -> IdempotencyRecord | None:
        """Reserve `key` in `scope` for a request; None when reserved now, else what was there."""
        ...

    async def idem_complete(self, scope: str, key: str, record: IdempotencyRecord, *, ttl: float) -> None: ...

    async def idem_release(self, scope: str, key: str) -> None: ...

    async def put_session_meta(self, meta: SessionMeta) -> None: ...

    async def get_session_metas(self, session_ids: Sequence[str]) -> dict[str, SessionMeta]: ...

    async def delete_session_meta(self, session_id: str) -> None: ...

    async def put_question(self, org_id: str, question_id: str, doc: dict[str, Any]) -> None:
        """An org's own question (a JSON document), visible to that org only."""
        ...

    async def get_question(self, org_id: str, question_id: str) -> dict[str, Any] | None: ...

    async def close(self) -> None: ...


class CodeRunner(Protocol):
    """Runs untrusted candidate code in isolation (never in the server process).

    Raises SandboxUnavailable when no isolation is possible and Busy when its queue is full."""

    async def run(
        self, *, code: str, entry: str, cases: Sequence[CodeCase], limits: CodeLimits
    ) -> RunResult: ...

    async def ensure_available(self) -> None:
        """Raise SandboxUnavailable (with the reason) unless code can be run in isolation here."""
        ...

    async def close(self) -> None: ...


class CodeProblems(Protocol):
    """The bank of coding problems (questions/code/)."""

    def get(self, problem_id: str) -> CodeProblem: ...

    def all(self) -> Sequence[CodeProblem]: ...


class RateLimits(Protocol):
    """Counts requests and websocket messages; raises RateLimited (with retry_after) past a limit."""

    async def check(self, scope: str, *, key_id: str | None, ip: str | None) -> None:
        """Count one request (scope "rest") or websocket message (scope "ws") for the key and IP."""
        ...

    async def check_anon(self, scope: str, *, ip: str | None) -> None:
        """Count one unauthenticated request or message, in the IP's own, smaller bucket."""
        ...


class WebhookPoster(Protocol):
    """Sends one signed webhook body; the HTTP status, or DeliveryUnreachable without an answer."""

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int: ...

    async def close(self) -> None: ...


class SocketSlots(Protocol):
    """Open websockets per client address, counted by every instance that shares the count.

    Each socket holds one slot, named by the socket (`slot`, unique across instances). The holder
    renews its slots more often than the count's time to live, so that the slots of an instance that
    died without releasing them free themselves once that time has passed.
    """

    async def acquire(self, ip: str, slot: str, *, limit: int) -> bool:
        """Take a slot for `ip` unless it already holds `limit`; False, taking nothing, when full."""
        ...

    async def release(self, ip: str, slot: str) -> None: ...

    async def renew(self, held: Sequence[tuple[str, str]]) -> None:
        """Keep these (ip, slot) pairs held for another time to live (those already gone stay gone)."""
        ...

    async def close(self) -> None: ...
