"""FastAPI dependency aliases, gathered in one place."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from interviewer.errors import InterviewerError
from interviewer.service.container import Services
from interviewer.service.registry import SessionRegistry


class NotReady(InterviewerError):
    code = "not_ready"
    http_status = 503


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


ServicesDep = Annotated[Services, Depends(get_services)]
RegistryDep = Annotated[SessionRegistry, Depends(get_registry)]
