"""Fixtures for adapter tests: the offline judge on the real packaged encoder, the session and admin
stores against SQLite, a real redis-server and a real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from interviewer.adapters.judge.offline.judge import OfflineJudge
from interviewer.core.ports import Encoder
from interviewer.service.ports import AdminStore, SessionStore


@pytest.fixture(scope="session")
def offline_judge(encoder: Encoder) -> OfflineJudge:
    """The offline judge with its packaged calibration and the claim verifier off: the
    similarity judge alone (the embedded defaults also load the verifier)."""
    return OfflineJudge(encoder)


@pytest.fixture(params=["sqlite", "redis", "postgres"])
async def admin(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AdminStore]:
    if request.param == "sqlite":
        from interviewer.adapters.store.admin_sqlite import SqliteAdminStore

        s: AdminStore = SqliteAdminStore(tmp_path / "admin.sqlite3")
    elif request.param == "postgres":
        from interviewer.adapters.store.admin_postgres import PostgresAdminStore

        s = PostgresAdminStore(request.getfixturevalue("postgres_db"))
    else:
        from interviewer.adapters.store.admin_redis import RedisAdminStore

        s = RedisAdminStore.from_url(request.getfixturevalue("redis_server").url)
    yield s
    await s.close()


@pytest.fixture(params=["sqlite", "redis", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SessionStore]:
    """An empty session store of each kind."""
    if request.param == "sqlite":
        from interviewer.adapters.store.sessions_sqlite import SqliteSessionStore

        s: SessionStore = SqliteSessionStore(tmp_path / "s.sqlite3")
    elif request.param == "postgres":
        from interviewer.adapters.store.sessions_postgres import PostgresSessionStore

        s = PostgresSessionStore(request.getfixturevalue("postgres_db"))
    else:
        from interviewer.adapters.store.sessions_redis import RedisSessionStore

        s = RedisSessionStore.from_url(request.getfixturevalue("redis_server").url)
    yield s
    await s.close()
