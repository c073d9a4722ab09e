"""The websocket endpoint: parse and check frames, then hand events to the session runner."""

from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from interviewer.api.deps import get_registry, get_services
from interviewer.core.models import COMPANIES, Area
from interviewer.core.planning import plan_questions, planned
from interviewer.core.state import AnswerDelta, AnswerSubmitted, Ended, InterviewConfig, Skipped
from interviewer.errors import (
    BadRequest,
    InterviewerError,
    InvalidMessage,
    InvalidState,
    MalformedJSON,
    MessageTooLarge,
    NoActiveSession,
    NoQuestions,
    RateLimited,
    UnknownType,
)
from interviewer.protocol import (
    CLIENT_TYPES,
    AnswerDeltaMsg,
    AnswerSubmitMsg,
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
from interviewer.service.container import Services
from interviewer.service.ratelimit import TokenBucket
from interviewer.service.registry import SessionRegistry
from interviewer.service.sessions import SessionRunner

router = APIRouter()
log = logging.getLogger("interviewer.ws")


class SocketOutbox:
    """Outbox port over a Starlette websocket."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_text(json.dumps(message))

    async def close(self, code: int, reason: str) -> None:
        await self.ws.close(code=code, reason=reason)


def parse(raw: str, max_bytes: int) -> Any:
    """Check size, JSON and type of one client frame; raise a typed error otherwise."""
    if len(raw.encode("utf-8")) > max_bytes:
        raise MessageTooLarge(f"frames are limited to {max_bytes} bytes")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise MalformedJSON(f"the frame is not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or "type" not in data:
        raise InvalidMessage("a message is a JSON object with a `type` field")
    if data["type"] not in CLIENT_TYPES:
        raise UnknownType(f"unknown message type {data['type']!r}; expected one of {list(CLIENT_TYPES)}")
    try:
        return client_adapter.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "message"
        raise InvalidMessage(f"invalid {data['type']!r} message: {where}: {first['msg']}") from None


def config_from(msg: Start, svc: Services) -> InterviewConfig:
    s = svc.settings
    if msg.company is not None and msg.company not in COMPANIES:
        raise BadRequest(f"unknown company {msg.company!r}; choose from {list(COMPANIES)}")
    areas = {a.value for a in Area}
    bad = [t for t in msg.topics or [] if t not in areas]
    if bad:
        raise BadRequest(f"unknown topics {bad}; choose from {sorted(areas)}")
    n = msg.num_questions or (len(msg.question_ids) if msg.question_ids else s.default_num_questions)
    return InterviewConfig(
        company=msg.company, difficulty=msg.difficulty, topics=tuple(msg.topics or ()),
        num_questions=min(n, s.max_questions),
        max_followups=s.default_max_followups if msg.max_followups is None else msg.max_followups,
        max_answer_chars=s.max_answer_chars,
    )


async def start_session(msg: Start, svc: Services, reg: SessionRegistry, out: SocketOutbox) -> SessionRunner:
    config = config_from(msg, svc)
    if msg.question_ids:
        plan = tuple(planned(svc.bank.get(qid)) for qid in msg.question_ids[: config.num_questions])
    else:
        plan = plan_questions(svc.bank.all(), config, seed=secrets.randbits(32))
    if not plan:
        raise NoQuestions("no question matches these filters; widen company, difficulty or topics")
    runner, token = await SessionRunner.create(svc, config, plan, org_id="default")
    reg.add(runner)
    log.info("session.started", extra={"session_id": runner.session_id, "questions": len(plan)})
    await runner.begin(out, token)
    return runner


class Connection:
    """One socket's loop state: its runner (once started or resumed) and its rate limit."""

    def __init__(self, ws: WebSocket, svc: Services, reg: SessionRegistry) -> None:
        self.out = SocketOutbox(ws)
        self.svc, self.reg = svc, reg
        self.runner: SessionRunner | None = None
        self.bucket = TokenBucket(svc.settings.ws_rate_per_second, svc.settings.ws_rate_burst)

    async def error(self, exc: InterviewerError) -> None:
        msg = dump(ErrorMsg(code=exc.code, message=exc.message, retry_after=exc.retry_after))
        if self.runner is not None:
            await self.runner.ephemeral(msg)
        else:
            await self.out.send(msg)

    async def dispatch(self, msg: Any) -> None:
        runner = self.runner
        now = time.time()
        match msg:
            case PingMsg():
                pong = dump(PongMsg())
                await (runner.ephemeral(pong) if runner else self.out.send(pong))
            case Start():
                if runner is not None:
                    raise InvalidState("this connection already has a session; send end first")
                self.runner = await start_session(msg, self.svc, self.reg, self.out)
            case ResumeMsg():
                if runner is not None:
                    await self.release()
                resumed = await self.reg.attach(msg.session_id, msg.resume_token)
                await self.reg.supersede(resumed, self.out)
                self.runner = resumed
                await resumed.resume(self.out, msg.last_seq)
            case _ if runner is None:
                raise NoActiveSession("send start (or resume) before answering")
            case AnswerDeltaMsg():
                await runner.handle(AnswerDelta(msg.text, now))
            case AnswerSubmitMsg():
                await runner.handle(AnswerSubmitted(msg.text, now))
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
    try:
        svc, reg = get_services(ws), get_registry(ws)
    except InterviewerError as exc:
        await ws.send_text(json.dumps(dump(ErrorMsg(code=exc.code, message=exc.message))))
        await ws.close(code=1013)
        return
    conn = Connection(ws, svc, reg)
    try:
        while True:
            frame = await ws.receive()
            if frame["type"] == "websocket.disconnect":
                break
            raw = frame.get("text")
            if raw is None:
                raw = (frame.get("bytes") or b"").decode("utf-8", errors="replace")
            try:
                wait = conn.bucket.take(time.monotonic())
                if wait > 0:
                    raise RateLimited("too many messages; slow down", retry_after=round(wait, 3))
                await conn.dispatch(parse(raw, svc.settings.max_message_bytes))
            except InterviewerError as exc:
                await conn.error(exc)
                if exc.ws_close_code is not None:
                    await ws.close(code=exc.ws_close_code)
                    break
    except WebSocketDisconnect:
        pass  # the client went away; the session stays stored for resume
    finally:
        session_id = conn.runner.session_id if conn.runner else None
        await conn.release()
        log.info("ws.closed", extra={"session_id": session_id})
