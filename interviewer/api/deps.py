"""FastAPI dependency aliases, gathered in one place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from interviewer.api.clientip import real_client
from interviewer.errors import InterviewerError, Unauthorized
from interviewer.service.auth import Action, Principal, authenticate, local_principal
from interviewer.service.container import Services
from interviewer.service.ports import AdminStore, RateLimits
from interviewer.service.registry import SessionRegistry
from interviewer.settings import Settings

NOT_READY_RETRY_AFTER = 5.0  # seconds; loading the model and the bank takes 10-30 s


class NotReady(InterviewerError):
    code = "not_ready"
    http_status = 503
    default_retry_after = NOT_READY_RETRY_AFTER


def get_services(request: HTTPConnection) -> Services:
    svc: Services | None = getattr(request.app.state, "services", None)
    if svc is None:
        raise NotReady("the service is still loading its model and question bank")
    return svc


def get_registry(request: HTTPConnection) -> SessionRegistry:
    reg: SessionRegistry | None = getattr(request.app.state, "registry", None)
    if reg is None:
        raise NotReady("the service is still loading its model and question bank")
    return reg


def get_admin(request: HTTPConnection) -> AdminStore:
    return get_services(request).admin


def get_limiter(request: HTTPConnection) -> RateLimits:
    limiter: RateLimits | None = getattr(request.app.state, "limiter", None)
    if limiter is None:
        raise NotReady("the service is still loading")
    return limiter


def client_ip(conn: HTTPConnection) -> str | None:
    """The client's address: the peer, or X-Forwarded-For when the peer is a trusted proxy."""
    peer = conn.client.host if conn.client else None
    settings: Settings = conn.app.state.settings
    if not settings.trusted_proxies:
        return peer
    return real_client(peer, conn.headers.getlist("x-forwarded-for"), settings.proxy_networks)


async def principal_of(conn: HTTPConnection, key: str | None, scope: str) -> Principal:
    """Authenticate (or act as the local admin with auth off), then rate-limit by IP and key.

    A request without a valid key counts only in the IP's unauthenticated bucket, so that anonymous
    traffic from an address (or a shared proxy) cannot use up the allowance of its keyed callers.
    """
    svc, limiter = get_services(conn), get_limiter(conn)
    ip = client_ip(conn)
    if svc.settings.auth == "off":
        await limiter.check(scope, key_id=None, ip=ip)
        return local_principal(svc.settings.default_org)
    try:
        principal = await authenticate(get_admin(conn), key)
    except Unauthorized:
        await limiter.check_anon(scope, ip=ip)  # past the limit this answers 429 instead of 401
        raise
    await limiter.check(scope, key_id=principal.key_id, ip=ip)
    return principal


_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer iv_...`")


async def get_principal(
    request: HTTPConnection,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    return await principal_of(request, creds.credentials if creds else None, "rest")


def allow(action: Action) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the caller, who must hold a role allowed to do `action`."""

    async def dep(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        principal.require(action)
        return principal

    return dep


ServicesDep = Annotated[Services, Depends(get_services)]
RegistryDep = Annotated[SessionRegistry, Depends(get_registry)]
AdminDep = Annotated[AdminStore, Depends(get_admin)]
QuestionReader = Annotated[Principal, Depends(allow(Action.QUESTIONS_READ))]
Grader = Annotated[Principal, Depends(allow(Action.GRADE))]
InterviewCreator = Annotated[Principal, Depends(allow(Action.INTERVIEWS_CREATE))]
InterviewReader = Annotated[Principal, Depends(allow(Action.INTERVIEWS_READ))]
Overrider = Annotated[Principal, Depends(allow(Action.INTERVIEWS_OVERRIDE))]
InterviewDeleter = Annotated[Principal, Depends(allow(Action.INTERVIEWS_DELETE))]
WebhookManager = Annotated[Principal, Depends(allow(Action.WEBHOOKS_MANAGE))]
KeyManager = Annotated[Principal, Depends(allow(Action.KEYS_MANAGE))]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200,
           description="Repeat a request safely: the same key and body return the first response"),
]
