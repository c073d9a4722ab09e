"""API keys of the caller's organisation (admin role); `interviewer keys` does the same offline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from interviewer.api.deps import AdminDep, KeyManager, ServicesDep, allow
from interviewer.schemas.admin import KeyCreate, KeyCreated, KeyList, KeyRead, Me
from interviewer.schemas.rest import errors
from interviewer.service import admin as svc_admin
from interviewer.service.auth import Action, Principal
from interviewer.service.records import ApiKeyRecord

router = APIRouter(prefix="/v1/keys", tags=["keys"])
me_router = APIRouter(tags=["keys"])


@me_router.get("/v1/me", response_model=Me, responses=errors())
async def me(principal: Annotated[Principal, Depends(allow(Action.SELF_READ))]) -> Me:
    """Who the key is: any valid key may ask (dashboards use it to show what the role can do)."""
    return Me(key_id=principal.key_id, org_id=principal.org_id, role=principal.role.value,
              actions=[a.value for a in Action if principal.can(a)])


def key_read(k: ApiKeyRecord) -> KeyRead:
    return KeyRead(key_id=k.key_id, org_id=k.org_id, role=k.role, name=k.name, created_at=k.created_at,
                   last_used_at=k.last_used_at, revoked_at=k.revoked_at)


@router.post("", response_model=KeyCreated, status_code=201, responses=errors(400))
async def create(body: KeyCreate, admin: AdminDep, principal: KeyManager) -> KeyCreated:
    """A new key in the caller's organisation; `key` is shown once and stored only hashed."""
    record, key = await svc_admin.new_key(admin, principal=principal, role=body.role, name=body.name)
    return KeyCreated(**key_read(record).model_dump(), key=key)


@router.get("", response_model=KeyList, responses=errors())
async def list_(admin: AdminDep, principal: KeyManager) -> KeyList:
    """The organisation's keys with their last-used time (never the keys themselves)."""
    return KeyList(items=[key_read(k) for k in await admin.list_keys(org_id=principal.org_id)])


@router.delete("/{key_id}", status_code=204, response_class=Response, responses=errors(404))
async def revoke(key_id: str, admin: AdminDep, svc: ServicesDep, principal: KeyManager) -> Response:
    """Revoke a key: it stops working at once, on every instance, and the sockets it opened close (4401)."""
    await svc_admin.revoke_key(admin, svc.events, principal=principal, key_id=key_id)
    return Response(status_code=204)
