"""The one schema: migrations on SQLite and PostgreSQL, adoption of old files, refusal of newer ones."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from interviewer.adapters.store import db_migrate
from interviewer.adapters.store.db_schema import metadata
from interviewer.errors import SchemaMismatch

# What interviewer created before migrations existed (the old `CREATE TABLE IF NOT EXISTS` code).
LEGACY_SESSIONS = """
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY, org_id TEXT NOT NULL, state TEXT NOT NULL, last_seq INTEGER NOT NULL,
    resume_token_hash TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
    phase TEXT NOT NULL DEFAULT 'asking', owner TEXT
);
CREATE INDEX IF NOT EXISTS sessions_org_created ON sessions (org_id, created_at);
CREATE TABLE IF NOT EXISTS messages (
    session_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
"""
LEGACY_ADMIN = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY, org_id TEXT NOT NULL, role TEXT NOT NULL, key_hash TEXT NOT NULL,
    created_at REAL NOT NULL, name TEXT NOT NULL, last_used_at REAL, revoked_at REAL
);
CREATE TABLE IF NOT EXISTS audit (
    n INTEGER PRIMARY KEY AUTOINCREMENT, entry_id TEXT UNIQUE NOT NULL, session_id TEXT NOT NULL,
    org_id TEXT NOT NULL, at REAL NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    question_id TEXT NOT NULL, reason TEXT NOT NULL, before TEXT NOT NULL, after TEXT NOT NULL,
    criterion_id TEXT
);
CREATE INDEX IF NOT EXISTS audit_session ON audit (session_id, n);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS session_meta (
    session_id TEXT PRIMARY KEY, org_id TEXT NOT NULL, created_at REAL NOT NULL,
    candidate_ref TEXT, created_by TEXT
);
"""


def test_head_constant_is_the_newest_migration() -> None:
    assert db_migrate.script_head() == db_migrate.HEAD


def _columns(url: str) -> dict[str, set[str]]:
    engine = sa.create_engine(db_migrate.sqlalchemy_url(url))
    try:
        insp = sa.inspect(engine)
        return {t: {c["name"] for c in insp.get_columns(t)} for t in insp.get_table_names()
                if t != "alembic_version"}
    finally:
        engine.dispose()


def test_migrations_give_sqlite_and_postgres_the_schema_of_db_schema(tmp_path: Path, postgres_db: str) -> None:
    want = {t.name: {c.name for c in t.columns} for t in metadata.sorted_tables}
    path = tmp_path / "x.sqlite3"
    db_migrate.ensure_sqlite(path)
    assert _columns(db_migrate.sqlite_url(path)) == want
    assert _columns(postgres_db) == want
    assert db_migrate.current(postgres_db) == db_migrate.HEAD


def test_a_file_from_before_migrations_is_adopted_and_keeps_its_rows(tmp_path: Path) -> None:
    from interviewer.adapters.store.sessions_sqlite import SqliteSessionStore

    path = tmp_path / "interviewer.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(LEGACY_SESSIONS + LEGACY_ADMIN)
        state = {"phase": "asking", "turns": []}
        db.execute("INSERT INTO sessions VALUES ('old', 'acme', ?, 3, 'h', 1.0, 2.0, 'asking', NULL)",
                   (json.dumps(state),))
        db.execute("INSERT INTO messages VALUES ('old', 1, '{\"seq\": 1}')")
        db.execute("INSERT INTO audit (entry_id, session_id, org_id, at, actor, action, question_id,"
                   " reason, before, after) VALUES ('e1','old','acme',1,'k','override.grade','q','r','{}','{}')")
    assert db_migrate.current(db_migrate.sqlite_url(path)) is None
    store = SqliteSessionStore(path)  # opening it upgrades it
    assert db_migrate.current(db_migrate.sqlite_url(path)) == db_migrate.HEAD
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT session_id, last_seq FROM sessions").fetchall() == [("old", 3)]
        assert db.execute("SELECT body FROM messages").fetchall() == [('{"seq": 1}',)]
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):  # triggers kept and completed
            db.execute("DELETE FROM audit")
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"sessions_org_list", "session_tags_lookup"} <= names and "sessions_org_created" not in names
    import asyncio

    got = asyncio.run(store.get("old"))
    assert got is not None and got.last_seq == 3
    asyncio.run(store.close())


def test_sqlite_file_at_an_unknown_newer_revision_is_refused(tmp_path: Path) -> None:
    from interviewer.adapters.store.sessions_sqlite import SqliteSessionStore

    path = tmp_path / "interviewer.sqlite3"
    db_migrate.ensure_sqlite(path)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num='9999'")
    with pytest.raises(SchemaMismatch, match=r"9999.*newer interviewer"):
        SqliteSessionStore(path)


def test_postgres_must_be_upgraded_first_and_newer_is_refused(postgres_url: str) -> None:
    from interviewer.adapters.store.sessions_postgres import PostgresSessionStore

    with pytest.raises(SchemaMismatch, match="interviewer db upgrade"):
        PostgresSessionStore(postgres_url)
    assert db_migrate.upgrade(postgres_url, "0001") == "0001"
    with pytest.raises(SchemaMismatch, match=r"'0001'.*interviewer db upgrade"):
        PostgresSessionStore(postgres_url)
    assert db_migrate.upgrade(postgres_url) == db_migrate.HEAD
    engine = sa.create_engine(db_migrate.sqlalchemy_url(postgres_url))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num='9999'"))
    engine.dispose()
    with pytest.raises(SchemaMismatch, match=r"9999.*newer interviewer"):
        PostgresSessionStore(postgres_url)
    with pytest.raises(SchemaMismatch, match="newer interviewer"):
        db_migrate.upgrade(postgres_url)


def test_postgres_audit_is_append_only(postgres_db: str) -> None:
    import psycopg

    with psycopg.connect(postgres_db, autocommit=True) as conn:
        conn.execute("INSERT INTO audit (entry_id, session_id, org_id, at, actor, action, question_id,"
                     " reason, before, after) VALUES ('e1','s','o',1,'k','a','q','r','{}','{}')")
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("UPDATE audit SET reason='x'")
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("DELETE FROM audit")


def test_a_failed_sqlite_upgrade_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    # The whole upgrade is one transaction: a step that fails takes the earlier ones back with it.
    path = tmp_path / "interviewer.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(LEGACY_SESSIONS + "CREATE TABLE session_tags (x TEXT);")  # 0002 will collide
    with pytest.raises(Exception, match="session_tags"):
        db_migrate.ensure_sqlite(path)
    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        columns = {r[1] for r in db.execute("PRAGMA table_info(sessions)")}
    assert "api_keys" not in tables and "alembic_version" not in tables  # 0001's work undone
    assert "status" not in columns


def test_a_file_that_already_has_the_outbox_and_heartbeats_is_adopted(tmp_path: Path) -> None:
    # Made by the CREATE TABLE IF NOT EXISTS code of the release that added them (before migrations).
    path = tmp_path / "admin.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(LEGACY_SESSIONS + LEGACY_ADMIN + """
CREATE INDEX IF NOT EXISTS sessions_phase ON sessions (phase);
CREATE TABLE IF NOT EXISTS instances (instance TEXT PRIMARY KEY, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, delivery_id TEXT UNIQUE NOT NULL, webhook_id TEXT NOT NULL,
    body TEXT NOT NULL, created_at REAL NOT NULL, attempts INTEGER NOT NULL, due_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_hook ON outbox (webhook_id, seq);
INSERT INTO outbox (delivery_id, webhook_id, body, created_at, attempts, due_at)
    VALUES ('d1', 'w1', '{}', 1.0, 0, 1.0);
""")
    db_migrate.ensure_sqlite(path)
    assert db_migrate.current(db_migrate.sqlite_url(path)) == db_migrate.HEAD
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT delivery_id FROM outbox").fetchall() == [("d1",)]
