"""Webhooks per organisation: register, list, delete, test-send, delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from interviewer.api.deps import AdminDep, ServicesDep, WebhookManager
from interviewer.schemas.admin import (
    DeliveryList,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookRead,
)
from interviewer.schemas.rest import errors
from interviewer.service import admin as svc_admin
from interviewer.service.records import DeliveryRecord, WebhookRecord

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


def hook_read(h: WebhookRecord) -> WebhookRead:
    return WebhookRead(id=h.webhook_id, url=h.url, events=list(h.events), created_at=h.created_at,
                       active=h.active)


def delivery_read(d: DeliveryRecord) -> DeliveryRead:
    return DeliveryRead(id=d.delivery_id, webhook_id=d.webhook_id, event_id=d.event_id,
                        event_type=d.event_type, status=d.status, attempts=d.attempts,
                        created_at=d.created_at, updated_at=d.updated_at,
                        last_status_code=d.last_status_code, last_error=d.last_error)


@router.post("", response_model=WebhookCreated, status_code=201, responses=errors(400))
async def create(
    body: WebhookCreate, svc: ServicesDep, admin: AdminDep, principal: WebhookManager
) -> WebhookCreated:
    """Register a URL for events; the response's `secret` verifies signatures and is shown once."""
    h = await svc_admin.create_webhook(admin, principal=principal, url=str(body.url), events=body.events,
                                       allowed_hosts=svc.settings.webhook_allowed_hosts,
                                       allow_private=svc.settings.webhook_allow_private)
    return WebhookCreated(**hook_read(h).model_dump(), secret=h.secret)


@router.get("", response_model=WebhookList, responses=errors())
async def list_(admin: AdminDep, principal: WebhookManager) -> WebhookList:
    """The organisation's webhooks (without secrets)."""
    return WebhookList(items=[hook_read(h) for h in await admin.list_webhooks(org_id=principal.org_id)])


@router.get("/{webhook_id}", response_model=WebhookRead, responses=errors(404))
async def read(webhook_id: str, admin: AdminDep, principal: WebhookManager) -> WebhookRead:
    return hook_read(await svc_admin.get_webhook(admin, principal=principal, webhook_id=webhook_id))


@router.delete("/{webhook_id}", status_code=204, response_class=Response, responses=errors(404))
async def delete(webhook_id: str, admin: AdminDep, principal: WebhookManager) -> Response:
    """Stop sending to this webhook."""
    await svc_admin.delete_webhook(admin, principal=principal, webhook_id=webhook_id)
    return Response(status_code=204)


@router.post("/{webhook_id}/test", response_model=DeliveryRead, responses=errors(404))
async def test(webhook_id: str, svc: ServicesDep, admin: AdminDep, principal: WebhookManager) -> DeliveryRead:
    """Send a signed `webhook.test` event now (one attempt) and report the outcome."""
    d = await svc_admin.test_webhook(admin, svc.webhooks, principal=principal, webhook_id=webhook_id)
    return delivery_read(d)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryList, responses=errors(404))
async def deliveries(
    webhook_id: str, admin: AdminDep, principal: WebhookManager,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveryList:
    """The delivery log, newest first: status, attempts, last HTTP status or error."""
    items = await svc_admin.deliveries(admin, principal=principal, webhook_id=webhook_id, limit=limit)
    return DeliveryList(items=[delivery_read(d) for d in items])
