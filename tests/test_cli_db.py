"""`interviewer db export|import` moves every record between SQLite and PostgreSQL, unchanged."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from interviewer.adapters.store.admin_postgres import PostgresAdminStore
from interviewer.adapters.store.admin_sqlite import SqliteAdminStore
from interviewer.adapters.store.db_migrate import HEAD
from interviewer.adapters.store.sessions_sqlite import SqliteSessionStore
from interviewer.cli import app
from interviewer.core.models import Verdict
from interviewer.service.codec import state_to_dict
from interviewer.service.listing import listing_fields
from interviewer.service.records import (
    ApiKeyRecord,
    AuditEntry,
    DeliveryRecord,
    IdempotencyRecord,
    OutboxEntry,
    SessionMeta,
    StoredSession,
    WebhookRecord,
)
from tests.core.test_interview import answer_and_grade, started

runner = CliRunner()


async def fill(path: Path) -> None:
    store = SqliteSessionStore(path, indexer=listing_fields)
    admin = SqliteAdminStore(path)
    state = started(2, max_followups=0, company="Acme", topics=("rag",))
    await store.create(StoredSession("s1", state_to_dict(state), 0, "tok", "acme", 1000.25, 1000.25))
    state, _ = answer_and_grade(state, {"a": Verdict.MET, "b": Verdict.MISSED})
    await store.commit("s1", state=state_to_dict(state), messages=[{"seq": 1, "type": "session"},
                       {"seq": 2, "type": "grade", "text": "é ✓"}], last_seq=2)
    await store.create(StoredSession("s2", {"phase": "asking"}, 0, "tok2", "beta", 1001.0, 1001.0))
    await admin.create_key(ApiKeyRecord("k1", "acme", "admin", "h" * 64, 1.0, "ci", 2.0, None))
    for i in range(2):
        await admin.append_audit(AuditEntry(f"e{i}", "s1", "acme", 3.0 + i, "k1", "override.grade", "q0",
                                            "why", {"score": 1}, {"score": 2}, None))
    await admin.create_webhook(WebhookRecord("w1", "acme", "https://x/y", ("grade.created",), "sec", 4.0))
    await admin.save_delivery(DeliveryRecord("d1", "w1", "acme", "ev1", "grade.created", "failed", 3,
                                             5.0, 6.0, 500, "boom"))
    await admin.idem_complete("acme:grade", "key", IdempotencyRecord("rh", True, 200, "{}"), ttl=3600)
    await admin.put_session_meta(SessionMeta("s1", "acme", 1000.25, "cand-1", "k1"))
    await admin.put_question("acme", "own1", {"text": "Why?"})
    assert await admin.outbox_add([OutboxEntry("d2", "w1", '{"id": "evt_2"}', 7.0)], now=7.0, limit=10)
    await store.heartbeat("i1", ttl=3600)
    await store.close()
    await admin.close()


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_sqlite_to_postgres_to_sqlite_round_trip(tmp_path: Path, postgres_db: str) -> None:
    src = tmp_path / "src.sqlite3"
    asyncio.run(fill(src))
    out1, out2, out3 = tmp_path / "1.jsonl", tmp_path / "2.jsonl", tmp_path / "3.jsonl"
    r = runner.invoke(app, ["db", "export", str(out1), "--url", f"sqlite:///{src}"])
    assert r.exit_code == 0, r.output
    tables = {line.split('"table": "')[1].split('"')[0] for line in lines_of(out1)[1:]}
    assert tables == {"sessions", "messages", "session_tags", "api_keys", "audit", "webhooks",
                      "deliveries", "idempotency", "session_meta", "org_questions", "outbox", "instances"}

    r = runner.invoke(app, ["db", "import", str(out1), "--url", postgres_db])
    assert r.exit_code == 0, r.output
    assert '"messages": 2' in r.output and '"audit": 2' in r.output
    r = runner.invoke(app, ["db", "export", str(out2), "--url", postgres_db])
    assert r.exit_code == 0, r.output
    assert lines_of(out2) == lines_of(out1)

    dst = tmp_path / "dst.sqlite3"
    r = runner.invoke(app, ["db", "upgrade", "--url", f"sqlite:///{dst}"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["db", "import", str(out2), "--url", f"sqlite:///{dst}"])
    assert r.exit_code == 0, r.output
    runner.invoke(app, ["db", "export", str(out3), "--url", f"sqlite:///{dst}"])
    assert lines_of(out3) == lines_of(out1)

    async def after_import() -> None:
        admin = PostgresAdminStore(postgres_db)
        # the audit's numbering continues after the imported entries
        await admin.append_audit(AuditEntry("e9", "s1", "acme", 9.0, "k1", "override.grade", "q0", "r",
                                            {}, {}, None))
        assert [e.entry_id for e in await admin.list_audit("s1")] == ["e0", "e1", "e9"]
        assert (await admin.get_key("k1")) == ApiKeyRecord("k1", "acme", "admin", "h" * 64, 1.0, "ci", 2.0)
        # and so does the outbox's: a new entry goes after the imported one
        assert await admin.outbox_add([OutboxEntry("d3", "w1", "{}", 8.0)], now=8.0, limit=10)
        assert [e.delivery_id for e in await admin.outbox_claim(now=9.0, lease=5, limit=5)] == ["d2"]
        await admin.close()

    asyncio.run(after_import())


def test_import_refuses_a_database_that_is_not_empty(tmp_path: Path) -> None:
    src = tmp_path / "src.sqlite3"
    asyncio.run(fill(src))
    out = tmp_path / "x.jsonl"
    assert runner.invoke(app, ["db", "export", str(out), "--url", f"sqlite:///{src}"]).exit_code == 0
    r = runner.invoke(app, ["db", "import", str(out), "--url", f"sqlite:///{src}"])
    assert r.exit_code != 0 and "not empty" in r.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"table": "sessions", "row": {}}\n')
    r = runner.invoke(app, ["db", "import", str(bad), "--url", f"sqlite:///{tmp_path / 'new.sqlite3'}"])
    assert r.exit_code != 0 and "not an `interviewer db export` file" in r.output


def test_current_upgrade_and_errors_are_one_clear_line(tmp_path: Path, postgres_cluster) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "new" / "x.sqlite3"
    r = runner.invoke(app, ["db", "current", "--url", f"sqlite:///{target}"])
    assert r.exit_code == 0 and f"none (needs {HEAD})" in r.output and not target.exists()
    r = runner.invoke(app, ["db", "upgrade", "--url", f"sqlite:///{target}"])
    assert r.exit_code == 0 and f"none -> {HEAD}" in r.output
    r = runner.invoke(app, ["db", "current", "--url", f"sqlite:///{target}"])
    assert f"{HEAD} (needs {HEAD})" in r.output
    gone = postgres_cluster.url("no_such_database")
    r = runner.invoke(app, ["db", "upgrade", "--url", gone])
    assert r.exit_code == 2 and "cannot use the database" in r.output and "Traceback" not in r.output
