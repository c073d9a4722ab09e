"""A typed Python client for the REST API and the websocket protocol v1."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from interviewer.service.ratelimit import TokenBucket


class SocketError(Exception):
    """An `error` message the server sent in answer to a frame: `code`, `message`, `retry_after`."""

    def __init__(self, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.retry_after = code, message, retry_after


class ApiError(Exception):
    """A REST error response: `code` and `message` from the body, `status` from HTTP."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class Client:
    """REST client: `Client("http://127.0.0.1:8000", api_key=None)`."""

    def __init__(self, base_url: str, *, api_key: str | None = None, timeout: float = 60.0,
                 verify: bool | str = True) -> None:
        """`verify`: False, or a CA bundle file for a server whose certificate a private CA signed."""
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout, verify=verify)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _raw(
        self, method: str, path: str, *, idempotency_key: str | None = None, **kw: Any
    ) -> httpx.Response:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        r = self._http.request(method, path, headers=headers, **kw)
        if r.status_code >= 400:
            try:
                err = r.json()["error"]
                code, message = err["code"], err["message"]
            except (ValueError, KeyError, TypeError):
                raise ApiError(r.status_code, "http_error", r.text) from None
            raise ApiError(r.status_code, code, message)
        return r

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        r = self._raw(method, path, **kw)
        return None if r.status_code == 204 else r.json()

    def questions(self, **filters: Any) -> dict[str, Any]:
        """GET /v1/questions with filters (company, difficulty, topic, tag, limit, offset)."""
        params = {k: v for k, v in filters.items() if v is not None}
        return self._call("GET", "/v1/questions", params=params)  # type: ignore[no-any-return]

    def question(self, question_id: str, *, include_rubric: bool = False) -> dict[str, Any]:
        params = {"include": "rubric"} if include_rubric else {}
        return self._call("GET", f"/v1/questions/{question_id}", params=params)  # type: ignore[no-any-return]

    def grade(self, answer: str, *, question_id: str | None = None, question: str | None = None,
              sample_answer: str | None = None, idempotency_key: str | None = None) -> dict[str, Any]:
        """POST /v1/grade: a bank question, or your own question and sample answer."""
        body = {"answer": answer, "question_id": question_id, "question": question,
                "sample_answer": sample_answer}
        return self._call("POST", "/v1/grade", json={k: v for k, v in body.items() if v is not None},  # type: ignore[no-any-return]
                          idempotency_key=idempotency_key)

    def grade_batch(
        self, items: list[dict[str, Any]], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """POST /v1/grade/batch: up to 100 items shaped like `grade`'s arguments."""
        return self._call("POST", "/v1/grade/batch", json={"items": items},  # type: ignore[no-any-return]
                          idempotency_key=idempotency_key)

    # ---- interviews (partners and recruiters) ----

    def create_interview(self, *, idempotency_key: str | None = None, **fields: Any) -> dict[str, Any]:
        """POST /v1/interviews: question_ids, questions (inline), or company/difficulty/topics;
        candidate_ref. Returns {session_id, candidate_token, ws_url, candidate_url, total}."""
        body = {k: v for k, v in fields.items() if v is not None}
        return self._call("POST", "/v1/interviews", json=body, idempotency_key=idempotency_key)  # type: ignore[no-any-return]

    def interviews(self, **filters: Any) -> dict[str, Any]:
        """GET /v1/interviews: one page ({items, next_cursor}) filtered by company, topic,
        difficulty, min_score, max_score, status, flagged, needs_review, created_from, created_to,
        candidate_ref."""
        params = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in filters.items()
                  if v is not None}
        return self._call("GET", "/v1/interviews", params=params)  # type: ignore[no-any-return]

    def all_interviews(self, **filters: Any) -> list[dict[str, Any]]:
        """Every page of `interviews`, following `next_cursor`."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.interviews(**filters, cursor=cursor)
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items

    def interview(self, session_id: str) -> dict[str, Any]:
        """GET /v1/interviews/{id}: the full transcript."""
        return self._call("GET", f"/v1/interviews/{session_id}")  # type: ignore[no-any-return]

    def delete_interview(self, session_id: str) -> None:
        """DELETE /v1/interviews/{id}: cancel and delete it (a recruiter's or admin's key)."""
        self._raw("DELETE", f"/v1/interviews/{session_id}")

    def override(self, session_id: str, *, question_id: str, reason: str, criterion_id: str | None = None,
                 verdict: str | None = None, score: int | None = None,
                 turn: int | None = None) -> dict[str, Any]:
        """POST /v1/interviews/{id}/overrides: a criterion verdict, or a whole grade's score."""
        body = {"question_id": question_id, "reason": reason, "criterion_id": criterion_id,
                "verdict": verdict, "score": score, "turn": turn}
        return self._call("POST", f"/v1/interviews/{session_id}/overrides",  # type: ignore[no-any-return]
                          json={k: v for k, v in body.items() if v is not None})

    def audit(self, session_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/interviews/{session_id}/audit")  # type: ignore[no-any-return]

    def export(self, session_id: str, format: str = "json") -> bytes:
        """GET /v1/interviews/{id}/export?format=json|csv|html|pdf: the file's bytes."""
        return self._raw("GET", f"/v1/interviews/{session_id}/export", params={"format": format}).content

    # ---- webhooks and keys ----

    def create_webhook(self, url: str, events: list[str]) -> dict[str, Any]:
        """POST /v1/webhooks: returns {id, secret, ...}; keep the secret to verify deliveries."""
        return self._call("POST", "/v1/webhooks", json={"url": url, "events": events})  # type: ignore[no-any-return]

    def webhooks(self) -> list[dict[str, Any]]:
        return self._call("GET", "/v1/webhooks")["items"]  # type: ignore[no-any-return]

    def delete_webhook(self, webhook_id: str) -> None:
        self._call("DELETE", f"/v1/webhooks/{webhook_id}")

    def test_webhook(self, webhook_id: str) -> dict[str, Any]:
        return self._call("POST", f"/v1/webhooks/{webhook_id}/test")  # type: ignore[no-any-return]

    def deliveries(self, webhook_id: str, limit: int = 50) -> list[dict[str, Any]]:
        return self._call("GET", f"/v1/webhooks/{webhook_id}/deliveries", params={"limit": limit})["items"]  # type: ignore[no-any-return]

    def create_key(self, role: str, name: str = "") -> dict[str, Any]:
        return self._call("POST", "/v1/keys", json={"role": role, "name": name})  # type: ignore[no-any-return]

    def keys(self) -> list[dict[str, Any]]:
        return self._call("GET", "/v1/keys")["items"]  # type: ignore[no-any-return]

    def revoke_key(self, key_id: str) -> None:
        self._call("DELETE", f"/v1/keys/{key_id}")

    def ws_url(self) -> str:
        return self.base_url.replace("http", "ws", 1) + "/v1/interviews/ws"


RESTART_CODES = frozenset({1012, 1013})  # service restart, try again later: reconnect and resume
# The share of the server's announced message rate and burst (`session.limits`) the client uses:
# the server counts a frame when it handles it, not when it was sent, so frames sent at exactly
# the limit can arrive bunched (after a pause of the server) and be refused.
PACE_MARGIN = 0.8


class InterviewSocket:
    """One websocket connection speaking protocol v1; tracks `session_id`, token and last seq.

    When the server stops it sends `error` `server_shutdown` and closes with 1012: `restarting`
    is then set, and `reconnect()` resumes the session on a new connection (any instance).
    """

    def __init__(self, conn: ClientConnection, *, url: str | None = None,
                 headers: dict[str, str] | None = None, max_size: int | None = 2**20) -> None:
        self.conn = conn
        self.url, self.headers, self.max_size = url, headers, max_size
        self.session_id: str | None = None
        self.resume_token: str | None = None
        self.last_seq = 0
        self.received: list[dict[str, Any]] = []
        self.total = 0
        self.restarting = False  # the server said it is stopping (`server_shutdown`)
        self._pace: TokenBucket | None = None  # the connection's message budget, once announced

    async def send(self, type: str, **fields: Any) -> None:
        """Send one frame, waiting first when it would exceed the rate limit the server announced."""
        import asyncio

        if self._pace is not None:
            while (wait := self._pace.take(time.monotonic())) > 0:
                await asyncio.sleep(wait)
        await self.conn.send(json.dumps({"type": type, **fields}))

    def _paced_by(self, limits: Any) -> None:
        """Keep under the connection's limits from `session.limits` (none announced: no pacing).

        Set once per connection: a `session` replayed by a later `resume` on it keeps the budget.
        """
        if self._pace is not None:
            return
        try:
            rate = float(limits["rate_per_second"]) * PACE_MARGIN
            burst = max(1, int(float(limits["rate_burst"]) * PACE_MARGIN))
        except (TypeError, KeyError, ValueError):
            return
        if rate > 0:
            self._pace = TokenBucket(rate, burst)

    async def recv(self, timeout: float = 60.0) -> dict[str, Any]:
        import asyncio

        msg: dict[str, Any] = json.loads(await asyncio.wait_for(self.conn.recv(), timeout))
        self.received.append(msg)
        self.last_seq = max(self.last_seq, int(msg.get("seq", 0)))
        if msg.get("type") == "session":
            self.session_id, self.resume_token = msg["session_id"], msg["resume_token"]
            self.total = int(msg.get("total", 0))
            self._paced_by(msg.get("limits"))
        elif msg.get("type") == "error" and msg.get("code") == "server_shutdown":
            self.restarting = True
        return msg

    @property
    def close_code(self) -> int | None:
        """The close code once the connection is closed (1012: the server restarts)."""
        return self.conn.close_code

    @property
    def should_reconnect(self) -> bool:
        """The server is restarting or not ready yet: `reconnect()` loses nothing."""
        return self.restarting or self.close_code in RESTART_CODES

    async def reconnect(self, url: str | None = None, *, timeout: float = 60.0) -> None:
        """Open a new connection (retrying while the server restarts) and resume the session."""
        import asyncio

        if not (self.session_id and self.resume_token):
            raise RuntimeError("no session to resume yet")
        target = url or self.url
        if target is None:
            raise RuntimeError("reconnect needs the url")
        deadline = time.monotonic() + timeout
        delay = 0.25
        while True:
            try:
                conn = await websockets.connect(target, max_size=self.max_size,
                                                additional_headers=self.headers)
                break
            except (OSError, websockets.InvalidHandshake):
                if time.monotonic() + delay > deadline:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        await self.conn.close()
        self.conn, self.url, self.restarting = conn, target, False
        self._pace = None  # a new connection: its `session` message announces its limits
        await self.resume(self.session_id, self.resume_token, last_seq=self.last_seq)

    async def recv_until(self, *types: str, timeout: float = 60.0) -> dict[str, Any]:
        """Receive until a message of one of `types` arrives; return it."""
        while True:
            msg = await self.recv(timeout)
            if msg.get("type") in types:
                return msg

    async def start(self, **filters: Any) -> dict[str, Any]:
        """Send `start` and return the first question."""
        await self.send("start", **filters)
        return await self.recv_until("question")

    async def join(self) -> dict[str, Any]:
        """Join a partner-created session (connected with its `ws_url`); returns the first question."""
        await self.send("start")
        return await self.recv_until("question")

    async def answer(self, text: str, *, stream: bool = True) -> dict[str, Any]:
        """Stream the answer as deltas, submit it, and return its `grade`.

        Raises SocketError when the server answers a frame of it with an `error` (a refused
        delta or submit: `rate_limited`, `empty_answer`, ...) instead of waiting for a grade
        that will not come.
        """
        if stream:
            for i in range(0, len(text), 40):
                await self.send("answer.delta", text=text[i:i + 40])
            await self.send("answer.submit")
        else:
            await self.send("answer.submit", text=text)
        await self.accepted()
        return await self.recv_until("grade")

    async def accepted(self, timeout: float = 60.0) -> dict[str, Any]:
        """Receive until `answer.accepted`; an `error` before it raises SocketError."""
        while True:
            msg = await self.recv(timeout)
            if msg.get("type") == "answer.accepted":
                return msg
            if msg.get("type") == "error":
                raise SocketError(str(msg.get("code")), str(msg.get("message")), msg.get("retry_after"))

    async def run_code(self, code: str) -> dict[str, Any]:
        """Run code against the open coding question's public tests; returns the `code.result`."""
        await self.send("code.run", code=code)
        return await self.recv_until("code.result")

    async def answer_code(self, code: str, explanation: str | None = None) -> dict[str, Any]:
        """Submit a coding question's code (and explanation); returns its `grade`."""
        await self.send("answer.submit", code=code, text=explanation)
        await self.accepted()
        return await self.recv_until("grade")

    async def resume(self, session_id: str, resume_token: str, last_seq: int) -> None:
        await self.send("resume", session_id=session_id, resume_token=resume_token, last_seq=last_seq)


@asynccontextmanager
async def interview(
    url: str, *, api_key: str | None = None, max_size: int | None = 2**20
) -> AsyncIterator[InterviewSocket]:
    """Connect to `ws(s)://host/v1/interviews/ws` (or a partner's complete `ws_url`)."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
    conn = await websockets.connect(url, max_size=max_size, additional_headers=headers)
    sock = InterviewSocket(conn, url=url, headers=headers, max_size=max_size)
    try:
        yield sock
    finally:
        await sock.conn.close()  # the current one: `reconnect` may have replaced it


def verify_signature(secret: str, header: str, body: bytes, *, tolerance: float = 300.0,
                     now: float | None = None) -> bool:
    """Check an `Interviewer-Signature: t=<unix>,v1=<hex>` header against the raw request body."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        t = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))
