"""Org-scoped administration: an org's webhooks and API keys."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

from interviewer.core.webhook_targets import check_url
from interviewer.errors import BadRequest, NotFound
from interviewer.service.auth import Principal, create_key
from interviewer.service.claims import announce_revoked
from interviewer.service.ports import AdminStore, SessionEvents
from interviewer.service.records import ApiKeyRecord, DeliveryRecord, WebhookRecord
from interviewer.service.webhooks import EVENT_TYPES, WebhookDispatcher

MAX_HOOKS_PER_ORG = 20


async def create_webhook(
    admin: AdminStore, *, principal: Principal, url: str, events: Sequence[str],
    allowed_hosts: Sequence[str] = (), allow_private: bool = False,
) -> WebhookRecord:
    """A new webhook of the caller's org; its secret is returned once, here."""
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise BadRequest(f"unknown events {unknown}; choose from {list(EVENT_TYPES)}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest("a webhook URL is http:// or https:// with a host")
    check_url(url, allow_private=allow_private)
    if allowed_hosts and parts.hostname not in allowed_hosts:
        raise BadRequest(f"webhook host {parts.hostname!r} is not allowed here "
                         "(INTERVIEWER_WEBHOOK_ALLOWED_HOSTS)")
    if len(await admin.list_webhooks(org_id=principal.org_id)) >= MAX_HOOKS_PER_ORG:
        raise BadRequest(f"an organisation has at most {MAX_HOOKS_PER_ORG} webhooks")
    hook = WebhookRecord(f"wh_{secrets.token_hex(8)}", principal.org_id, url,
                         tuple(dict.fromkeys(events)), f"whsec_{secrets.token_urlsafe(32)}", time.time())
    await admin.create_webhook(hook)
    return hook


async def get_webhook(admin: AdminStore, *, principal: Principal, webhook_id: str) -> WebhookRecord:
    hook = await admin.get_webhook(webhook_id)
    if hook is None or hook.org_id != principal.org_id:
        raise NotFound(f"no webhook {webhook_id!r}")
    return hook


async def delete_webhook(admin: AdminStore, *, principal: Principal, webhook_id: str) -> None:
    await get_webhook(admin, principal=principal, webhook_id=webhook_id)
    await admin.delete_webhook(webhook_id)


async def test_webhook(
    admin: AdminStore, dispatcher: WebhookDispatcher, *, principal: Principal, webhook_id: str
) -> DeliveryRecord:
    """Send a signed `webhook.test` event now (one attempt) and return how it went."""
    hook = await get_webhook(admin, principal=principal, webhook_id=webhook_id)
    return await dispatcher.send_test(hook)


async def deliveries(
    admin: AdminStore, *, principal: Principal, webhook_id: str, limit: int
) -> list[DeliveryRecord]:
    await get_webhook(admin, principal=principal, webhook_id=webhook_id)
    return await admin.list_deliveries(webhook_id, limit=limit)


async def new_key(
    admin: AdminStore, *, principal: Principal, role: str, name: str
) -> tuple[ApiKeyRecord, str]:
    """A key in the caller's own org (an admin cannot mint keys for another org)."""
    return await create_key(admin, role=role, org_id=principal.org_id, name=name)


async def revoke_key(
    admin: AdminStore, events: SessionEvents, *, principal: Principal, key_id: str,
) -> None:
    """Revoke a key of the caller's org; every instance closes the sockets it opened."""
    key = await admin.get_key(key_id)
    if key is None or key.org_id != principal.org_id:
        raise NotFound(f"no key {key_id!r}")
    await admin.revoke_key(key_id, at=time.time())
    await announce_revoked(events, key_id)
