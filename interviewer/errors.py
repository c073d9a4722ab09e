"""One error hierarchy: each error has a stable code, an HTTP status and a websocket close code."""

from __future__ import annotations

from typing import ClassVar


class InterviewerError(Exception):
    """Base error; `code` is what clients see in REST bodies and websocket `error` frames."""

    code: ClassVar[str] = "internal_error"
    http_status: ClassVar[int] = 500
    # None: the socket stays open after the error frame; otherwise it is closed with this code.
    ws_close_code: ClassVar[int | None] = None
    # Seconds to wait before retrying when the raiser gives none; set on every 429 and 503 error,
    # so that each of those answers carries `Retry-After`.
    default_retry_after: ClassVar[float | None] = None

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after if retry_after is not None else self.default_retry_after


class BadRequest(InterviewerError):
    code = "bad_request"
    http_status = 400


class InvalidMessage(BadRequest):
    code = "invalid_message"


class MalformedJSON(BadRequest):
    code = "malformed_json"


class UnknownType(BadRequest):
    code = "unknown_type"


class MessageTooLarge(BadRequest):
    code = "message_too_large"
    http_status = 413


class AnswerTooLong(BadRequest):
    code = "answer_too_long"
    http_status = 413


class NoActiveSession(BadRequest):
    code = "no_session"
    http_status = 409


class InvalidState(BadRequest):
    code = "invalid_state"
    http_status = 409


class NotFound(InterviewerError):
    code = "not_found"
    http_status = 404


class SessionNotFound(NotFound):
    code = "session_not_found"
    ws_close_code = None


class Unauthorized(InterviewerError):
    code = "unauthorized"
    http_status = 401
    ws_close_code = 4401


class Forbidden(InterviewerError):
    code = "forbidden"
    http_status = 403
    ws_close_code = 4403


class RateLimited(InterviewerError):
    code = "rate_limited"
    http_status = 429
    default_retry_after = 1.0


class TooManyConnections(RateLimited):
    """This client address already has INTERVIEWER_WS_MAX_PER_IP websockets open (on every instance
    sharing a Redis, else on this one)."""

    code = "too_many_connections"
    default_retry_after = 10.0
    ws_close_code = 1013  # try again later


class IdleTimeout(InterviewerError):
    """The client sent nothing for too long; the socket is closed and the session can be resumed."""

    code = "idle_timeout"
    http_status = 408
    ws_close_code = 4408  # like HTTP 408


class Busy(InterviewerError):
    code = "busy"
    http_status = 503
    default_retry_after = 1.0


class GradingFailed(InterviewerError):
    """The grader service could not grade a job (it failed every grader it was given to)."""

    code = "grading_failed"
    http_status = 500


class Superseded(InterviewerError):
    code = "superseded"
    http_status = 409
    ws_close_code = 4409


class BankError(InterviewerError):
    code = "bank_invalid"
    http_status = 500


class NoQuestions(BadRequest):
    code = "no_questions"
    http_status = 422


class IdempotencyConflict(InterviewerError):
    """The idempotency key was used with a different body, or its first request is still running."""

    code = "idempotency_conflict"
    http_status = 409


class PayloadTooLarge(BadRequest):
    code = "payload_too_large"
    http_status = 413


class ServerShutdown(InterviewerError):
    """The instance is stopping: reconnect (to any instance) and `resume`; nothing is lost."""

    code = "server_shutdown"
    http_status = 503
    default_retry_after = 1.0
    ws_close_code = 1012  # service restart


class InvalidText(BadRequest):
    """Text that is not valid Unicode (a lone surrogate such as `\\ud800`, or bytes that are not UTF-8)."""

    code = "invalid_text"
    http_status = 422


class SessionDeleted(NotFound):
    """The interview was cancelled and deleted by its organisation: nothing of it is left to resume."""

    code = "session_deleted"
    ws_close_code = 4410  # like HTTP 410 Gone


class KeyRevoked(Unauthorized):
    """The API key that opened this socket was revoked; the socket is closed (4401)."""

    code = "key_revoked"


class SchemaMismatch(InterviewerError):
    """The database's schema revision is not the one this version of interviewer runs on."""

    code = "schema_mismatch"
    http_status = 503


class WebhookBacklogFull(InterviewerError):
    """The webhook outbox holds INTERVIEWER_WEBHOOK_BACKLOG_MAX entries: the event was dropped."""

    code = "webhook_backlog_full"
    http_status = 503
    default_retry_after = 60.0


class SandboxUnavailable(InterviewerError):
    """Coding questions are refused: the isolation tool (bubblewrap) is missing or does not work here.

    Candidate code is never run without it."""

    code = "sandbox_unavailable"
    http_status = 503
    default_retry_after = 60.0


class CodeTooLarge(BadRequest):
    code = "code_too_large"
    http_status = 413


class DeliveryUnreachable(Exception):
    """A webhook delivery got no HTTP answer (refused address, closed port, timeout, broken
    response); never shown to the partner beyond one fixed text (service/webhooks.UNREACHABLE)."""
