"""The crash window between a grade's commit and its webhook events reaching the outbox, with real
processes on SQLite and on PostgreSQL.

The test holds the outbox's lock (SQLite: a write transaction on the admin file; PostgreSQL: the
outbox's advisory lock), as a busy or stalled store would, so that the instance commits the grade
and the finished interview and then waits to write their webhook events to the outbox. It is
killed with SIGKILL right there. Another instance, started afterwards on the same store, must
deliver both events to the sink, with the ids they were committed with.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.store.db_migrate import upgrade
from interviewer.client import Client, interview, verify_signature
from tests.api.authkit import Receiver
from tests.conftest import REPO, PostgresCluster, wait_for
from tests.scaleout.procs import AppProcess

pytestmark = [pytest.mark.slow, pytest.mark.asyncio, pytest.mark.timeout(900)]

# 1 s per attempt: an owed event is due for any instance 2 x 1 + 10 s after its commit.
WEBHOOKS = {"INTERVIEWER_WEBHOOK_ALLOW_PRIVATE": "true", "INTERVIEWER_WEBHOOK_TIMEOUT": "1",
            "INTERVIEWER_REDIS_URL": ""}
TYPES = ["grade.created", "interview.completed"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data directory (the concept index is built once): the SQLite files and the index."""
    return tmp_path_factory.mktemp("owed") / "data"


@pytest.fixture
def sink() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()


class Store:
    """What the test sees of the store, straight from the database: the session's log, the
    events still owed, and the outbox's lock."""

    def __init__(self, kind: str, where: str) -> None:
        self.kind, self.where = kind, where

    def env(self) -> dict[str, str]:
        if self.kind == "sqlite":
            return {"INTERVIEWER_STORE": "sqlite"}
        return {"INTERVIEWER_STORE": "postgres", "INTERVIEWER_DATABASE_URL": self.where}

    def rows(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if self.kind == "sqlite":
            with sqlite3.connect(Path(self.where) / "interviewer.sqlite3") as db:
                try:
                    return db.execute(sql.replace("%s", "?"), args).fetchall()
                except sqlite3.OperationalError as exc:  # a version without the table
                    if "no such table" in str(exc):
                        return []
                    raise
        with psycopg.connect(self.where, autocommit=True) as conn:
            try:
                return conn.execute(sql, args).fetchall()  # type: ignore[arg-type]
            except psycopg.errors.UndefinedTable:
                return []

    def logged(self, session_id: str) -> list[str]:
        rows = self.rows("SELECT body FROM messages WHERE session_id=%s ORDER BY seq", (session_id,))
        return [json.loads(body)["type"] for (body,) in rows]

    def owed(self, session_id: str) -> dict[str, str]:
        """Event type -> id of the webhook events the session's commits still owe the outbox."""
        rows = self.rows("SELECT event_type, event_id FROM owed_events WHERE session_id=%s", (session_id,))
        return dict(rows)

    @contextmanager
    def outbox_locked(self) -> Iterator[None]:
        if self.kind == "sqlite":
            db = sqlite3.connect(Path(self.where) / "admin.sqlite3", isolation_level=None)
            db.execute("BEGIN IMMEDIATE")  # the outbox's writers wait (busy_timeout), then fail
            try:
                yield
            finally:
                db.execute("ROLLBACK")
                db.close()
            return
        with psycopg.connect(self.where, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(hashtext('interviewer.outbox'))")
            yield  # closing the connection releases it


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        yield Store("sqlite", str(data_dir))
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = f"owed_{secrets.token_hex(4)}"
    url = cluster.create_database(name)
    upgrade(url)
    try:
        yield Store("postgres", url)
    finally:
        cluster.drop_database(name)


async def test_events_committed_with_a_grade_survive_sigkill_before_the_outbox_has_them(
        store: Store, data_dir: Path, sink: Receiver, tmp_path: Path) -> None:
    bank = YamlQuestionBank.load([REPO])
    env = {**WEBHOOKS, **store.env()}
    a = AppProcess("a", tmp_path / "a", "", data_dir, env=env)
    b = AppProcess("b", tmp_path / "b", "", data_dir, env=env)
    try:
        a.start()
        a.wait_ready()
        assert sink.server is not None
        with Client(a.base_url) as c:
            hook = c.create_webhook(f"http://127.0.0.1:{sink.server.server_address[1]}/hook", TYPES)
        async with interview(a.ws_url) as ws:
            q = await ws.start(num_questions=1, max_followups=0)
            sid = ws.session_id
            assert sid
            with store.outbox_locked():
                await ws.send("answer.submit", text=bank.get(q["question_id"]).sample_answer)
                # the grade and the summary are committed; their webhook events wait for the outbox
                await asyncio.to_thread(wait_for, lambda: "summary" in store.logged(sid), 120,
                                        "the grade's commit")
                a.kill9()
        owed = store.owed(sid)
        assert sink.received == []
        b.start()  # knows nothing of the session: it finds what is owed in the store
        b.wait_ready()
        await asyncio.to_thread(
            wait_for, lambda: {e["type"] for e in sink.events()} >= set(TYPES), 120, "both events")
        await asyncio.sleep(2.0)  # a duplicate would come within a few polls
    finally:
        a.stop()
        b.stop()
    events = sink.events()
    assert sorted(e["type"] for e in events) == sorted(TYPES), events
    assert {e["type"]: e["id"] for e in events} == owed  # the ids they were committed with
    assert all(e["data"]["session_id"] == sid for e in events)
    for headers, body in sink.received:
        assert verify_signature(hook["secret"], headers["interviewer-signature"], body)
    assert store.owed(sid) == {}  # relayed, settled
