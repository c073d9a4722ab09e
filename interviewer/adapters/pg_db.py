"""A psycopg 3 async connection pool shared by the PostgreSQL adapters, opened on first use."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from interviewer.errors import Busy


class DatabaseUnavailable(Busy):
    """PostgreSQL did not answer (down, restarting, or every pooled connection busy)."""

    code = "database_unavailable"


class PgDb:
    """Every call takes a pooled connection; a `transaction()` block commits or rolls back whole."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10, check_schema: bool = True,
                 timeout: float = 10.0) -> None:
        if check_schema:
            from interviewer.adapters.db_migrate import check

            check(url)  # refuses a database that is not at this version's schema revision
        self.url = url
        self._pool = AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]](
            url, connection_class=psycopg.AsyncConnection[dict[str, Any]],
            min_size=min_size, max_size=max_size, open=False, timeout=timeout,
            # a connection that died with a server restart or failover is replaced, not handed out
            check=AsyncConnectionPool.check_connection,
            kwargs={"row_factory": dict_row, "autocommit": True},
        )
        self._opened = False
        self._open_lock: asyncio.Lock | None = None

    async def _ensure_open(self) -> None:
        if self._opened:
            return
        if self._open_lock is None:
            self._open_lock = asyncio.Lock()
        async with self._open_lock:
            if not self._opened:
                await self._pool.open(wait=False)
                self._opened = True

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[dict[str, Any]]]:
        await self._ensure_open()
        try:
            async with self._pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, TimeoutError) as exc:
            raise DatabaseUnavailable("the database is unavailable; retry shortly",
                                      retry_after=2.0) from exc

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[psycopg.AsyncConnection[dict[str, Any]]]:
        async with self.connection() as conn, conn.transaction():
            yield conn

    async def _exec(self, sql: str, args: Any = ()) -> int:
        async with self.connection() as conn:
            cur = await conn.execute(sql, args)
            return cur.rowcount

    async def _all(self, sql: str, args: Any = ()) -> list[dict[str, Any]]:
        async with self.connection() as conn:
            cur = await conn.execute(sql, args)
            return await cur.fetchall()

    async def ping(self) -> bool:
        try:
            return bool(await self._all("SELECT 1 AS ok"))
        except DatabaseUnavailable:
            return False

    async def close(self) -> None:
        if self._opened:
            await self._pool.close()
            self._opened = False
