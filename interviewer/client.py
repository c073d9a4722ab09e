"""A typed Python client for the REST API and the websocket protocol v1."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection


class ApiError(Exception):
    """A REST error response: `code` and `message` from the body, `status` from HTTP."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class Client:
    """REST client: `Client("http://127.0.0.1:8000", api_key=None)`."""

    def __init__(self, base_url: str, *, api_key: str | None = None, timeout: float = 60.0) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        r = self._http.request(method, path, **kw)
        if r.status_code >= 400:
            try:
                err = r.json()["error"]
                raise ApiError(r.status_code, err["code"], err["message"])
            except (ValueError, KeyError, TypeError):
                raise ApiError(r.status_code, "http_error", r.text) from None
        return r.json()

    def questions(self, **filters: Any) -> dict[str, Any]:
        """GET /v1/questions with filters (company, difficulty, topic, tag, limit, offset)."""
        params = {k: v for k, v in filters.items() if v is not None}
        return self._call("GET", "/v1/questions", params=params)  # type: ignore[no-any-return]

    def question(self, question_id: str, *, include_rubric: bool = False) -> dict[str, Any]:
        params = {"include": "rubric"} if include_rubric else {}
        return self._call("GET", f"/v1/questions/{question_id}", params=params)  # type: ignore[no-any-return]

    def grade(self, answer: str, *, question_id: str | None = None, question: str | None = None,
              sample_answer: str | None = None) -> dict[str, Any]:
        """POST /v1/grade: a bank question, or your own question and sample answer."""
        body = {"answer": answer, "question_id": question_id, "question": question,
                "sample_answer": sample_answer}
        return self._call("POST", "/v1/grade", json={k: v for k, v in body.items() if v is not None})  # type: ignore[no-any-return]

    def ws_url(self) -> str:
        return self.base_url.replace("http", "ws", 1) + "/v1/interviews/ws"


class InterviewSocket:
    """One websocket connection speaking protocol v1; tracks `session_id`, token and last seq."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.session_id: str | None = None
        self.resume_token: str | None = None
        self.last_seq = 0
        self.received: list[dict[str, Any]] = []

    async def send(self, type: str, **fields: Any) -> None:
        await self.conn.send(json.dumps({"type": type, **fields}))

    async def recv(self, timeout: float = 60.0) -> dict[str, Any]:
        import asyncio

        msg: dict[str, Any] = json.loads(await asyncio.wait_for(self.conn.recv(), timeout))
        self.received.append(msg)
        self.last_seq = max(self.last_seq, int(msg.get("seq", 0)))
        if msg.get("type") == "session":
            self.session_id, self.resume_token = msg["session_id"], msg["resume_token"]
        return msg

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

    async def answer(self, text: str, *, stream: bool = True) -> dict[str, Any]:
        """Stream the answer as deltas, submit it, and return its `grade`."""
        if stream:
            for i in range(0, len(text), 40):
                await self.send("answer.delta", text=text[i:i + 40])
            await self.send("answer.submit")
        else:
            await self.send("answer.submit", text=text)
        return await self.recv_until("grade")

    async def resume(self, session_id: str, resume_token: str, last_seq: int) -> None:
        await self.send("resume", session_id=session_id, resume_token=resume_token, last_seq=last_seq)


@asynccontextmanager
async def interview(url: str, *, max_size: int | None = 2**20) -> AsyncIterator[InterviewSocket]:
    """Connect to `ws(s)://host/v1/interviews/ws`."""
    async with websockets.connect(url, max_size=max_size) as conn:
        yield InterviewSocket(conn)
