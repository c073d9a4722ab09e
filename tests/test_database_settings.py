"""INTERVIEWER_DATABASE_URL picks the system of record; the server refuses a schema it cannot run on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from interviewer.settings import Settings
from tests.conftest import REPO


def settings(**kw: object) -> Settings:
    return Settings(_env_file=None, **kw)  # type: ignore[call-arg]


def test_store_kind_follows_the_urls(tmp_path: Path) -> None:
    assert settings().store_kind == "sqlite"
    assert settings(redis_url="redis://x:6379/0").store_kind == "redis"  # Redis alone, as before
    pg = "postgresql://u:p@db:5432/iv"
    assert settings(database_url=pg).store_kind == "postgres"
    both = settings(database_url=pg, redis_url="redis://x:6379/0")
    assert both.store_kind == "postgres" and both.shares_events
    assert not settings(database_url=pg).shares_events
    lite = settings(database_url=f"sqlite:///{tmp_path}/one.sqlite3", redis_url="redis://x:6379/0")
    assert lite.store_kind == "sqlite" and lite.sqlite_paths == (tmp_path / "one.sqlite3",) * 2
    assert settings(data_dir=tmp_path).sqlite_paths == (tmp_path / "interviewer.sqlite3",
                                                        tmp_path / "admin.sqlite3")
    with pytest.raises(ValidationError, match="postgresql:// or sqlite:///"):
        settings(database_url="mysql://x/y")


def test_wiring_builds_postgres_stores_that_index_the_listing(postgres_db: str) -> None:
    import asyncio

    from interviewer.adapters.store.admin_postgres import PostgresAdminStore
    from interviewer.adapters.store.sessions_postgres import PostgresSessionStore
    from interviewer.wiring import build_admin_store, build_events, build_store

    s = settings(database_url=postgres_db)
    store, admin, events = build_store(s), build_admin_store(s), build_events(s)
    assert isinstance(store, PostgresSessionStore) and store.indexer is not None
    assert isinstance(admin, PostgresAdminStore)
    assert type(events).__name__ == "MemorySessionEvents"  # no Redis: one instance

    async def close() -> None:
        await store.close()
        await admin.close()
        await events.close()

    asyncio.run(close())


def serve(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("INTERVIEWER_")}
    return subprocess.run(
        [sys.executable, "-c", "from interviewer.cli import app; app()", "serve", "--port", "9"],
        env={**base, "PYTHONPATH": str(REPO), **env}, cwd=cwd, capture_output=True, text=True,
        timeout=120)


def test_serve_refuses_a_postgres_database_that_was_not_upgraded(postgres_url: str, tmp_path: Path) -> None:
    done = serve({"INTERVIEWER_DATABASE_URL": postgres_url, "INTERVIEWER_DATA_DIR": str(tmp_path)},
                 tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "run `interviewer db upgrade` first" in done.stderr


def test_serve_refuses_a_sqlite_file_of_a_newer_version(tmp_path: Path) -> None:
    import sqlite3

    from interviewer.adapters.store.db_migrate import ensure_sqlite

    ensure_sqlite(tmp_path / "interviewer.sqlite3")
    with sqlite3.connect(tmp_path / "interviewer.sqlite3") as db:
        db.execute("UPDATE alembic_version SET version_num='0999'")
    done = serve({"INTERVIEWER_DATA_DIR": str(tmp_path)}, tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "'0999', which this version of interviewer does not know" in done.stderr
