"""The records the service-layer ports exchange: a stored session and its listing fields, API
keys, audit entries, webhooks, deliveries and their outbox, idempotency keys, session metadata."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class StoredSession:
    """What a store keeps of a session: the serialised core state and its bookkeeping."""

    session_id: str
    state: dict[str, Any]
    last_seq: int
    resume_token_hash: str
    org_id: str
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class ListingFields:
    """What an interview list filters on, derived from a session's state at every write."""

    status: str  # "pending" | "in_progress" | "completed"
    score: int | None
    needs_review: bool
    flagged: bool
    finished_at: float | None
    companies: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    difficulties: tuple[str, ...] = ()

    def tags(self) -> list[tuple[str, str]]:
        """(kind, value) pairs of the multi-valued attributes, without repeats."""
        pairs = [("company", v) for v in self.companies] + [("topic", v) for v in self.topics]
        pairs += [("difficulty", v) for v in self.difficulties]
        return list(dict.fromkeys(pairs))


Indexer = Callable[[dict[str, Any]], ListingFields | None]


@dataclass(frozen=True, slots=True)
class ListingQuery:
    """Filters a store with listing columns can apply in its query (the rest are checked after)."""

    status: str | None = None
    needs_review: bool | None = None
    flagged: bool | None = None
    min_score: int | None = None
    max_score: int | None = None
    created_from: float | None = None
    created_to: float | None = None
    company: str | None = None
    topic: str | None = None
    difficulty: str | None = None
    # Applied only by a store whose database also holds the admin records' `session_meta`.
    candidate_ref: str | None = None


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """An API key as stored: only the SHA-256 of the key, never the key itself."""

    key_id: str
    org_id: str
    role: str  # "admin" | "recruiter" | "partner"
    key_hash: str
    created_at: float
    name: str = ""
    last_used_at: float | None = None
    revoked_at: float | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One human change to a session's grades; entries are only ever appended."""

    entry_id: str
    session_id: str
    org_id: str
    at: float
    actor: str  # key id (or "local" with auth off)
    action: str  # "override.criterion" | "override.grade"
    question_id: str
    reason: str
    before: dict[str, Any]
    after: dict[str, Any]
    criterion_id: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookRecord:
    webhook_id: str
    org_id: str
    url: str
    events: tuple[str, ...]
    secret: str  # used to sign deliveries, so it is kept (shown to the partner once)
    created_at: float
    active: bool = True


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One event sent (or being sent) to one webhook, with its attempts so far."""

    delivery_id: str
    webhook_id: str
    org_id: str
    event_id: str
    event_type: str
    status: str  # "pending" | "delivered" | "failed"
    attempts: int
    created_at: float
    updated_at: float
    last_status_code: int | None = None
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """A request seen under an idempotency key: in flight (`done` False) or its stored response."""

    request_hash: str
    done: bool = False
    status_code: int = 0
    body: str = ""


@dataclass(frozen=True, slots=True)
class SessionMeta:
    """Who a session belongs to beyond its org: the candidate reference and the creating key."""

    session_id: str
    org_id: str
    created_at: float
    candidate_ref: str | None = None
    created_by: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One webhook delivery waiting in the outbox: the signed event body and its attempts so far."""

    delivery_id: str
    webhook_id: str
    body: str  # the event, serialised once: every attempt sends the same bytes
    created_at: float
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class OwedEvent:
    """A webhook event a session's commit owes the outbox: written in the same transaction as the
    state that caused it (a grade, a finished interview), forgotten once it is in the outbox."""

    event_id: str
    session_id: str
    org_id: str
    event_type: str
    body: str  # the event JSON (`id`, `type`, `created`, `data`): every relay sends these bytes
    due_at: float  # until then only the committing instance moves it (it does so at once)
