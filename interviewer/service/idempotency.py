"""Idempotency keys: the same key and body return the first response; another body is a conflict."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from interviewer.errors import IdempotencyConflict
from interviewer.service.auth import Principal
from interviewer.service.container import Services
from interviewer.service.records import IdempotencyRecord

IN_FLIGHT_TTL = 300.0  # a request that crashed mid-way frees its key after this many seconds


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int
    body: Any
    replayed: bool = False


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


async def idempotent(
    svc: Services, *, principal: Principal, endpoint: str, key: str | None, request: Any,
    run: Callable[[], Awaitable[Outcome]],
) -> Outcome:
    """Run `run` once per (org, endpoint, key); errors free the key so the client can retry."""
    if key is None:
        return await run()
    scope = f"{principal.org_id}:{endpoint}"
    h = request_hash(request)
    seen = await svc.admin.idem_reserve(scope, key, h, ttl=IN_FLIGHT_TTL)
    if seen is not None:
        if seen.request_hash != h:
            raise IdempotencyConflict("this Idempotency-Key was used with a different request body")
        if not seen.done:
            raise IdempotencyConflict("the first request with this Idempotency-Key is still running",
                                      retry_after=1.0)
        return Outcome(seen.status_code, json.loads(seen.body), replayed=True)
    try:
        out = await run()
    except BaseException:
        await svc.admin.idem_release(scope, key)
        raise
    record = IdempotencyRecord(h, True, out.status_code, json.dumps(out.body))
    await svc.admin.idem_complete(scope, key, record, ttl=svc.settings.idempotency_ttl)
    return out
