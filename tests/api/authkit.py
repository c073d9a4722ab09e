"""Helpers for tests with INTERVIEWER_AUTH=on: keys per org and role, a finished interview, a receiver."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from interviewer.adapters.store.pg_db import PgDb
from interviewer.client import Client, interview
from interviewer.service.auth import create_key
from interviewer.service.container import Services

ORGS = ("acme", "beta")
ROLES = ("admin", "recruiter", "partner")

INLINE = [
    {"id": "acme-wal", "text": "Why do databases use write-ahead logging?",
     "sample_answer": "A write-ahead log records every change durably before data pages are modified. "
     "After a crash the database replays the log to redo committed transactions. Sequential log "
     "appends are much faster than random page writes, so commits are cheap.", "topic": "databases"},
]


def make_keys(svc: Services) -> dict[tuple[str, str], str]:
    """One key per (org, role), created through the service as the CLI does."""
    assert svc.admin is not None

    async def run() -> dict[tuple[str, str], str]:
        out = {}
        try:
            for org in ORGS:
                for role in ROLES:
                    _, key = await create_key(svc.admin, role=role, org_id=org, name=f"{org}-{role}")  # type: ignore[arg-type]
                    out[(org, role)] = key
        finally:
            if isinstance(svc.admin, PgDb):
                # The pool's tasks belong to this short-lived loop: close them here, as the CLI's
                # `keys create` does. Left to asyncio.run's cancellation, a pool worker that is
                # returning a connection catches the CancelledError (psycopg_pool 3.3 logs it) and
                # waits for its next task forever: a 300 s hang in CI. The server opens a new pool.
                await svc.admin.close()
        return out

    return asyncio.run(run())


async def finish_interview(ws_url: str, answers: dict[str, str], fallback: str = "I do not know.") -> list[dict[str, Any]]:
    """Join a partner-created interview as the candidate and answer every question."""
    async with interview(ws_url) as ws:
        q = await ws.join()
        while True:
            await ws.answer(answers.get(q["question_id"], fallback))
            nxt = await ws.recv_until("question", "summary")
            if nxt["type"] == "summary":
                return ws.received
            q = nxt


def completed_interview(base_url: str, key: str, svc: Services, **fields: Any) -> dict[str, Any]:
    """Create an interview with `key` and finish it with the sample answers; returns the creation reply."""
    with Client(base_url, api_key=key) as c:
        made = c.create_interview(max_followups=0, **fields)
    answers = {q.id: q.sample_answer for q in svc.bank.all()}
    answers.update({q["id"]: q["sample_answer"] for q in INLINE})
    asyncio.run(finish_interview(made["ws_url"], answers))
    return made


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 that answers 500 to the first `fail` requests, then 200."""

    fail: int = 0
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        recv = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with recv.lock:
                    recv.attempts += 1
                    ok = recv.attempts > recv.fail
                    if ok:
                        recv.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200 if ok else 500)
                self.end_headers()
                self.wfile.write(b"ok" if ok else b"fail")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self.server.shutdown()

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(b) for _, b in self.received]
