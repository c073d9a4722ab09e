"""Fixtures for adapter tests: the offline judge on the real packaged encoder, the admin stores."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from interviewer.adapters.judge.offline.judge import OfflineJudge
from interviewer.core.ports import Encoder
from interviewer.service.ports import AdminStore


@pytest.fixture(scope="session")
def offline_judge(encoder: Encoder) -> OfflineJudge:
    """The offline judge with its packaged calibration."""
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
