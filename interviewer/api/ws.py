"""The websocket endpoint: parse and check frames, then hand events to the session runner."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from interviewer import metrics
from interviewer.api.deps import client_ip, get_admin, get_limiter, get_registry, get_services
from interviewer.api.inputs import check_text
from interviewer.api.live_sockets import LiveSockets
from interviewer.core.state import (
    AnswerDelta,
    AnswerSubmitted,
    CodeRunRequested,
    Ended,
    InterviewConfig,
    Skipped,
)
from interviewer.errors import (
    IdleTimeout,
    InterviewerError,
    InvalidMessage,
    InvalidState,
    KeyRevoked,
    MalformedJSON,
    MessageTooLarge,
    NoActiveSession,
    RateLimited,
    ServerShutdown,
    TooManyConnections,
    UnknownType,
)
from interviewer.schemas.protocol import (
    CLIENT_TYPES,
    AnswerDeltaMsg,
    AnswerSubmitMsg,
    CodeRunMsg,
    EndMsg,
    ErrorMsg,
    PingMsg,
    PongMsg,
    ResumeMsg,
    SkipMsg,
    Start,
    client_adapter,
    dump,
)
from interviewer.service.auth import Action, Principal, authenticate, bearer, local_principal, parse_key_id
from interviewer.service.candidates import profile_ref, require_profiles
from interviewer.service.container import Services
from interviewer.service.interviews import build_config, new_session, plan_for
from interviewer.service.ratelimit import TokenBucket
from interviewer.service.registry import SessionRegistry
from interviewer.service.sessions import SessionRunner

router = APIRouter()
log = logging.getLogger("interviewer.ws")


SHUTDOWN_RETRY_AFTER = 1.0  # seconds a client is asked to wait before it reconnects
# A socket opened with an API key looks the key up again at its next message after this many
# seconds: the fallback when a revocation notice does not arrive (`keys revoke` with SQLite).
KEY_RECHECK = 5.0


class SocketOutbox:
    """Outbox port over a Starlette websocket; counts what it sends.

    A client that is gone surfaces as ConnectionError, the port's contract: the session runner then
    carries on without a socket (grading, follow-up selection, webhooks) instead of stopping.
    """

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        try:
            await self.ws.send_text(json.dumps(message))
        except WebSocketDisconnect as exc:
            raise ConnectionError(f"the client is gone (close code {exc.code})") from None
        kind = str(message.get("type"))
        metrics.WS_MESSAGES.labels(direction="out", type=kind).inc()
        if kind == "error":
            metrics.ERRORS.labels(code=str(message.get("code"))).inc()

    async def close(self, code: int, reason: str) -> None:
        try:
            await self.ws.close(code=code, reason=reason)
        except WebSocketDisconnect as exc:
            raise ConnectionError(f"the client is gone (close code {exc.code})") from None


def parse(raw: str, max_bytes: int) -> Any:
    """Check size, JSON and type of one client frame; raise a typed error otherwise."""
    if len(raw.encode("utf-8")) > max_bytes:
        raise MessageTooLarge(f"frames are limited to {max_bytes} bytes")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise MalformedJSON(f"the frame is not valid JSON: {exc.msg}") from None
    except RecursionError:  # `[[[[...` thousands deep: refused, never a traceback
        raise InvalidMessage("the frame nests too deeply; a message is a flat JSON object") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise InvalidMessage("a message is a JSON object with a `type` field")
    check_text(data)
    if data["type"] not in CLIENT_TYPES:
        raise UnknownType(f"unknown message type {data['type']!r}; expected one of {list(CLIENT_TYPES)}")
    try:
        return client_adapter.validate_python(data)
    except RecursionError:
        raise InvalidMessage("the frame nests too deeply; a message is a flat JSON object") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "message"
        raise InvalidMessage(f"invalid {data['type']!r} message: {where}: {first['msg']}") from None


def inbound(raw: str, max_bytes: int) -> Any:
    """`parse`, counted by message type (`invalid` for a frame that does not parse)."""
    try:
        msg = parse(raw, max_bytes)
    except InterviewerError:
        metrics.WS_MESSAGES.labels(direction="in", type="invalid").inc()
        raise
    metrics.WS_MESSAGES.labels(direction="in", type=msg.type).inc()
    return msg


def config_from(msg: Start, svc: Services) -> InterviewConfig:
    return build_config(
        svc, company=msg.company, difficulty=msg.difficulty, topics=msg.topics,
        num_questions=msg.num_questions, max_followups=msg.max_followups,
        fixed=len(msg.question_ids or []), include_code=msg.include_code,
    )


async def start_session(
    msg: Start, svc: Services, reg: SessionRegistry, out: SocketOutbox, principal: Principal
) -> SessionRunner:
    principal.require(Action.INTERVIEWS_CREATE)
    config = config_from(msg, svc)
    ref = None
    if msg.profile is not None:
        require_profiles(svc)
        ref = profile_ref(msg.profile)
    plan = await plan_for(svc, principal.org_id, config, question_ids=msg.question_ids)
    runner, _ = await new_session(svc, reg, principal=principal, config=config, plan=plan, outbox=out,
                                  candidate_ref=ref)
    return runner


class Connection:
    """One socket's loop state: its runner (once started or resumed) and its rate limit."""

    def __init__(self, ws: WebSocket, svc: Services, reg: SessionRegistry,
                 sockets: LiveSockets | None = None) -> None:
        self.ws = ws
        self.sockets = sockets or LiveSockets()
        self.out = SocketOutbox(ws)
        self.svc, self.reg = svc, reg
        self.runner: SessionRunner | None = None
        self.bucket = TokenBucket(svc.settings.ws_rate_per_second, svc.settings.ws_rate_burst)
        self.principal: Principal | None = None
        self.key_checked = time.monotonic()
        self.ip = client_ip(ws) or "unknown"
        self.slot = uuid.uuid4().hex  # this socket's place in its address's count (any instance)
        # Credentials are read here and never logged: an API key in the Authorization header,
        # or a partner-created session's `?session_id=&token=` (the candidate token).
        self.header_key = bearer(ws.headers.get("authorization"))
        self.query_session = ws.query_params.get("session_id")
        self.query_token = ws.query_params.get("token")

    def silence_limit(self) -> float:
        """Seconds this socket may send nothing: short until it has a session, then long."""
        s = self.svc.settings
        return s.ws_idle_timeout if self.runner is not None else s.ws_start_timeout

    @property
    def anonymous(self) -> bool:
        """No session and no key yet (with auth on): what this socket sends is unauthenticated."""
        return self.principal is None and self.runner is None and self.svc.settings.auth == "on"

    async def check_rate(self, msg: Any) -> None:
        """Every frame counts for this socket; all but pings also in the shared per-IP/key limits.

        An anonymous socket's frames are counted once they prove a key or token (`admitted`), or
        when refused (`refused`) in the IP's unauthenticated bucket: a key or candidate token that
        works is never held up by anonymous traffic from its address.
        """
        wait = self.bucket.take(time.monotonic())
        if wait > 0:
            raise RateLimited("too many messages; slow down", retry_after=round(wait, 3))
        await self.recheck_key()
        if isinstance(msg, PingMsg) or self.anonymous:
            return
        key_id = self.principal.key_id if self.principal else None
        await get_limiter(self.ws).check("ws", key_id=key_id, ip=client_ip(self.ws))

    async def recheck_key(self) -> None:
        """Refuse the frame, and close, when this socket's API key was revoked since it was opened."""
        if self.principal is None or self.svc.settings.auth == "off":
            return
        now = time.monotonic()
        if now - self.key_checked < KEY_RECHECK:
            return
        self.key_checked = now
        record = await get_admin(self.ws).get_key(self.principal.key_id)
        if record is None or record.revoked_at is not None:
            raise KeyRevoked("the API key of this connection was revoked")

    async def revoked(self) -> None:
        """This socket's key was revoked: say so and close (4401); the session stays stored."""
        exc = KeyRevoked("the API key of this connection was revoked")
        try:
            await self.error(exc)
            await self.ws.close(code=exc.ws_close_code or 4401, reason="key revoked")
        except (ConnectionError, RuntimeError):
            pass  # already gone

    async def refused(self, exc: InterviewerError) -> InterviewerError:
        """Count a refused frame of an anonymous socket; past the limit the answer is `rate_limited`."""
        if self.anonymous and not isinstance(exc, RateLimited):
            try:
                await get_limiter(self.ws).check_anon("ws", ip=client_ip(self.ws))
            except RateLimited as limited:
                return limited
        return exc

    async def authenticate(self, token: str | None) -> Principal:
        s = self.svc.settings
        if s.auth == "off":
            self.principal = local_principal(s.default_org)
        else:
            self.principal = await authenticate(get_admin(self.ws), token or self.header_key)
            self.key_checked = time.monotonic()
        return self.principal

    async def admitted(self, key_id: str | None, runner: SessionRunner | None = None) -> None:
        """Count the frame that authenticated an anonymous socket, now that it proved itself.

        It is counted before the session is created or replayed; a runner found for it is let go
        again when the limit refuses it.
        """
        try:
            await get_limiter(self.ws).check("ws", key_id=key_id, ip=client_ip(self.ws))
        except RateLimited:
            if runner is not None:
                await self.reg.release(runner)
            raise

    async def attach(self, session_id: str, token: str, *, anonymous: bool) -> SessionRunner:
        """Take over a stored session with its token (`resume`, or a candidate joining)."""
        runner = await self.reg.attach(session_id, token)
        if anonymous:
            await self.admitted(None, runner)
        await self.reg.supersede(runner, self.out)
        return runner

    async def start(self, msg: Start, *, anonymous: bool) -> SessionRunner:
        """A new session with an API key, or the candidate joining a partner-created session."""
        session_id = msg.session_id or self.query_session
        token = msg.token or self.query_token
        if session_id and token and parse_key_id(token) is None:
            runner = await self.attach(session_id, token, anonymous=anonymous)
            await runner.resume(self.out, 0, token=token)
            return runner
        principal = await self.authenticate(msg.token if msg.token and parse_key_id(msg.token) else None)
        if anonymous:
            await self.admitted(principal.key_id)
        return await start_session(msg, self.svc, self.reg, self.out, principal)

    async def error(self, exc: InterviewerError) -> None:
        msg = dump(ErrorMsg(code=exc.code, message=exc.message, retry_after=exc.retry_after))
        if self.runner is not None:
            await self.runner.ephemeral(msg)
        else:
            await self.out.send(msg)

    async def shutdown(self, grace: float) -> None:
        """Let the session's grading finish (up to `grace` s), then say reconnect and close."""
        if self.runner is not None:
            await self.runner.wait_idle(grace)
        try:
            await self.error(ServerShutdown("the server is restarting; reconnect and resume: "
                                            "nothing is lost", retry_after=SHUTDOWN_RETRY_AFTER))
            await self.ws.close(code=ServerShutdown.ws_close_code or 1012, reason="server restart")
        except (ConnectionError, RuntimeError):
            pass  # the client is already gone; its session stays stored for resume

    async def dispatch(self, msg: Any) -> None:
        runner = self.runner
        anonymous = self.anonymous  # check_rate did not count this frame: counted once admitted
        now = time.time()
        if self.sockets.closing and isinstance(msg, Start | ResumeMsg):
            raise ServerShutdown("the server is restarting; reconnect in a moment",
                                 retry_after=SHUTDOWN_RETRY_AFTER)
        match msg:
            case PingMsg():
                pong = dump(PongMsg())
                await (runner.ephemeral(pong) if runner else self.out.send(pong))
            case Start():
                if runner is not None:
                    raise InvalidState("this connection already has a session; send end first")
                self.runner = await self.start(msg, anonymous=anonymous)
            case ResumeMsg():
                if runner is not None:
                    await self.release()
                resumed = await self.attach(msg.session_id, msg.resume_token, anonymous=anonymous)
                self.runner = resumed
                await resumed.resume(self.out, msg.last_seq, token=msg.resume_token)
            case _ if runner is None:
                raise NoActiveSession("send start (or resume) before answering")
            case AnswerDeltaMsg():
                await runner.handle(AnswerDelta(msg.text, now))
            case AnswerSubmitMsg():
                await runner.handle(AnswerSubmitted(msg.text, now, code=msg.code))
            case CodeRunMsg():
                await runner.handle(CodeRunRequested(msg.code, now))
            case SkipMsg():
                await runner.handle(Skipped(now))
            case EndMsg():
                await runner.handle(Ended(now))

    async def release(self) -> None:
        if self.runner is not None:
            await self.runner.detach(self.out)
            await self.reg.release(self.runner)
            self.runner = None


@router.websocket("/v1/interviews/ws")
async def interview_socket(ws: WebSocket) -> None:
    """Protocol v1: JSON text frames, documented in docs/protocol.md."""
    await ws.accept()
    sockets: LiveSockets = ws.app.state.sockets
    try:
        if sockets.closing:
            raise ServerShutdown("the server is restarting; reconnect in a moment",
                                 retry_after=SHUTDOWN_RETRY_AFTER)
        svc, reg = get_services(ws), get_registry(ws)
    except InterviewerError as exc:
        msg = ErrorMsg(code=exc.code, message=exc.message, retry_after=exc.retry_after)
        await SocketOutbox(ws).send(dump(msg))
        await ws.close(code=exc.ws_close_code or 1013)
        return
    conn = Connection(ws, svc, reg, sockets)
    try:
        await sockets.add(conn, svc.socket_slots, svc.settings.ws_max_per_ip)
    except TooManyConnections as exc:
        await conn.error(exc)
        await ws.close(code=exc.ws_close_code or 1013)
        return
    try:
        while True:
            try:
                frame = await asyncio.wait_for(ws.receive(), conn.silence_limit())
            except TimeoutError:
                idle = IdleTimeout(f"no message for {conn.silence_limit():g} s; reconnect (and resume) "
                                   "to continue")
                await conn.error(idle)
                await ws.close(code=idle.ws_close_code or 4408)
                break
            if frame["type"] == "websocket.disconnect":
                break
            raw = frame.get("text")
            if raw is None:
                raw = (frame.get("bytes") or b"").decode("utf-8", errors="replace")
            try:
                try:
                    msg = inbound(raw, svc.settings.max_message_bytes)
                except InterviewerError:
                    await conn.check_rate(None)  # a bad frame counts too, and may be rate limited
                    raise
                await conn.check_rate(msg)
                await conn.dispatch(msg)
            except InterviewerError as exc:
                await conn.error(await conn.refused(exc))
                if exc.ws_close_code is not None:
                    await ws.close(code=exc.ws_close_code)
                    break
    except (WebSocketDisconnect, ConnectionError):
        pass  # the client went away; the session stays stored for resume
    finally:
        await sockets.discard(conn, svc.socket_slots)
        session_id = conn.runner.session_id if conn.runner else None
        await conn.release()
        log.info("ws.closed", extra={"session_id": session_id})
