"""The FastAPI application: routes, error rendering, static chat UI, start-up loading."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.staticfiles import StaticFiles

from interviewer import __version__, logs, metrics
from interviewer.api import (
    routes_candidate,
    routes_code,
    routes_grade,
    routes_interviews,
    routes_keys,
    routes_meta,
    routes_ops,
    routes_questions,
    routes_review,
    routes_webhooks,
    ws,
)
from interviewer.api.deps import NOT_READY_RETRY_AFTER
from interviewer.api.live_sockets import LiveSockets
from interviewer.api.middleware import BodyLimit, LocalOnly, ValidText, error_body, error_headers
from interviewer.api.shutdown import drain, install_signal_drain
from interviewer.errors import InterviewerError, NotFound
from interviewer.schemas.rest import ERROR_TEXT, Health
from interviewer.service.container import Services
from interviewer.service.ports import OrphanedWork
from interviewer.service.registry import SessionRegistry
from interviewer.service.sweeper import Sweeper
from interviewer.settings import Settings, get_settings, open_bind_refusal

log = logging.getLogger("interviewer.app")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


_IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.S)


def page_csp(html: str) -> str:
    """A page's CSP: its inline import maps (the code editor's modules) allowed by their sha256, no
    other inline script."""
    digests = [hashlib.sha256(m.encode()).digest() for m in _IMPORT_MAP.findall(html)]
    allowed = [f"'sha256-{base64.b64encode(d).decode()}'" for d in digests]
    return CSP.replace("script-src 'self'", " ".join(["script-src 'self'", *allowed]))


HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "payload_too_large", 429: "rate_limited", 503: "not_ready"}


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette reports only the first route's)."""
    routes = request.app.router.routes
    return [m for m in METHODS
            if any(r.matches({**request.scope, "method": m})[0] is Match.FULL for r in routes)]


def document_body_limit(app: FastAPI) -> None:
    """Every operation that takes a request body documents 413: `BodyLimit` refuses a body over
    INTERVIEWER_MAX_BODY_BYTES before any route runs, so a route's own `responses` can miss it
    (a fuzzer found the batch grading route answering an undocumented 413)."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = plain()
        for path in schema.get("paths", {}).values():
            for op in path.values():
                if isinstance(op, dict) and "requestBody" in op:
                    op.setdefault("responses", {}).setdefault("413", {
                        "description": ERROR_TEXT[413],
                        "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/ErrorResponse"}}}})
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _error_response(exc: InterviewerError) -> JSONResponse:
    metrics.ERRORS.labels(code=exc.code).inc()
    return JSONResponse(error_body(exc), status_code=exc.http_status, headers=error_headers(exc))


async def _load(app: FastAPI, settings: Settings) -> None:
    from interviewer.wiring import build_services

    try:
        svc = await asyncio.to_thread(build_services, settings)
    except Exception as exc:  # reported by /readyz instead of "loading" forever
        message = exc.message if isinstance(exc, InterviewerError) else f"{type(exc).__name__}: {exc}"
        app.state.load_error = message
        log.exception("app.load_failed", extra={"error": message})
        return
    _install(app, svc)
    log.info("app.ready", extra={"questions": len(svc.bank.all())})


def _install(app: FastAPI, svc: Services) -> None:
    svc.webhooks.start()  # also sends what an earlier (or crashed) instance left in the outbox
    app.state.limiter = svc.limiter
    app.state.services = svc
    app.state.registry = SessionRegistry(svc)
    if isinstance(svc.store, OrphanedWork):  # take over grading left by a crashed instance
        sweeper = Sweeper(app.state.registry, svc.store, interval=svc.settings.sweep_interval,
                          ttl=svc.settings.instance_ttl)
        app.state.sweeper = asyncio.create_task(sweeper.run(), name="sweeper")
    else:
        log.warning("sweeper.unavailable", extra={"store": type(svc.store).__name__})
    # close the sockets of keys revoked on any instance
    app.state.revocation_watch = asyncio.create_task(app.state.sockets.watch_revocations(svc.events))
    # keep this instance's sockets counted in the shared per-address count (expires if it dies)
    app.state.slot_keeper = asyncio.create_task(
        app.state.sockets.keep_slots(svc.socket_slots, svc.settings.instance_ttl / 3))


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """The app; with `services` it is ready at once, otherwise it loads them in the background."""
    settings = settings or (services.settings if services else get_settings())
    logs.redact_server_logs()  # candidate tokens in ws_url query strings stay out of access logs
    if (refusal := open_bind_refusal(settings.host, settings.auth)) is not None:
        raise RuntimeError(refusal)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Grading and FAISS run in worker threads that mostly wait on the encoder batcher.
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=settings.worker_threads, thread_name_prefix="worker"))
        loader = None
        if services is not None:
            _install(app, services)
        else:
            loader = asyncio.create_task(_load(app, settings))
        restore_signals = install_signal_drain(app)
        lag_watch = asyncio.create_task(metrics.watch_loop_lag())
        yield
        lag_watch.cancel()
        for name in ("revocation_watch", "slot_keeper", "sweeper"):
            watch: asyncio.Task[None] | None = getattr(app.state, name, None)
            if watch is not None:
                watch.cancel()
        restore_signals()
        if loader is not None and not loader.done():
            loader.cancel()
        await drain(app)  # done already after SIGTERM; otherwise (tests, embedding) now
        reg: SessionRegistry | None = getattr(app.state, "registry", None)
        if reg is not None:
            await reg.drain(settings.shutdown_grace)  # what was submitted as the sockets closed
            await reg.svc.aclose()

    app = FastAPI(
        title="interviewer", version=__version__, lifespan=lifespan,
        description="Mock interviews for LLM and Transformer engineering roles: questions, "
        "rubric grading with evidence, follow-ups. Websocket protocol: docs/protocol.md.",
    )
    app.state.settings = settings
    app.state.services = None
    app.state.registry = None
    app.state.load_error = None
    app.state.limiter = None
    app.state.sockets = LiveSockets()
    app.state.draining = False

    @app.exception_handler(InterviewerError)
    async def _typed(_: Request, exc: InterviewerError) -> JSONResponse:
        return _error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                   for e in exc.errors()]
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        metrics.ERRORS.labels(code="invalid_request").inc()
        where = ".".join(str(p) for p in first["loc"])
        body = {"error": {"code": "invalid_request", "message": f"{where}: {first['msg']}",
                          "details": details}}
        return JSONResponse(body, status_code=422, headers=None)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Unknown routes, wrong methods and unreadable bodies, in the documented error shape."""
        code = HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404:
            message = f"no such route: {request.url.path}"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            allowed = allowed_methods(request)  # empty for a mount (static files): keep its own
            headers["Allow"] = ", ".join(allowed) if allowed else headers.get("Allow", "")
            message = f"{request.method} is not allowed here; allowed: {headers['Allow']}"
        metrics.ERRORS.labels(code=code).inc()
        body = {"error": {"code": code, "message": message, "retry_after": None}}
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    @app.get("/healthz", response_model=Health, tags=["health"])
    def healthz() -> Health:
        """The process is up."""
        return Health(status="ok")

    @app.get("/readyz", response_model=Health, tags=["health"],
             responses={503: {"model": Health}})
    def readyz(request: Request) -> Response:
        """200 once the model and the question bank are loaded."""
        svc: Services | None = request.app.state.services
        retry = {"Retry-After": str(round(NOT_READY_RETRY_AFTER))}
        if request.app.state.draining:  # stopping: the proxy should send new sockets elsewhere
            return JSONResponse(Health(status="draining").model_dump(), status_code=503, headers=retry)
        if svc is None:
            detail = {"error": request.app.state.load_error} if request.app.state.load_error else {}
            body = Health(status="loading" if not detail else "failed", detail=detail)
            return JSONResponse(body.model_dump(), status_code=503, headers=retry)
        body = Health(status="ready", detail={
            "questions": len(svc.bank.all()), "bank_hash": svc.bank.content_hash,
            "judge": svc.judge.name, "store": settings.store_kind,
        })
        return JSONResponse(body.model_dump())

    app.include_router(routes_meta.router)
    app.include_router(routes_questions.router)
    app.include_router(routes_grade.router)
    app.include_router(routes_code.router)
    app.include_router(routes_ops.router)
    app.include_router(routes_interviews.router)
    app.include_router(routes_review.router)
    app.include_router(routes_candidate.router)
    app.include_router(routes_webhooks.router)
    app.include_router(routes_keys.router)
    app.include_router(routes_keys.me_router)
    app.include_router(ws.router)
    _mount_frontend(app, Path(settings.frontend_dir))
    document_body_limit(app)
    # Added last, so they run first: before routing, body parsing and authentication.
    app.add_middleware(ValidText)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.auth == "off":
        public = urlsplit(settings.public_url).hostname if settings.public_url else None
        app.add_middleware(LocalOnly, hosts=[settings.host, public or ""])
    return app


def _mount_frontend(app: FastAPI, root: Path) -> None:
    def page(name: str) -> Response:
        path = root / name
        if not path.is_file():
            raise NotFound(f"{name} is not installed (frontend dir {root})")
        return FileResponse(path, headers={"Content-Security-Policy": page_csp(path.read_text("utf-8"))})

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return page("index.html")

    @app.get("/review", include_in_schema=False)
    def review() -> Response:
        return page("review.html")

    if root.is_dir():
        app.mount("/static", StaticFiles(directory=root), name="static")

    @app.middleware("http")
    async def _csp(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        if request.url.path.startswith("/static"):
            response.headers["Content-Security-Policy"] = CSP
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response
