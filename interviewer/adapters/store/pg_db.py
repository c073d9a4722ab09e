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
            from interviewer.adapters.store.db_migrate import check

            check(url)  # refuses a database that is not at this version's schema revision
        self.url = url
        self._pool_args: dict[str, Any] = {"min_size": min_size, "max_size": max_size, "timeout": timeout}
        self._pool = self._new_pool()
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop the pool was opened in
        self._opening: asyncio.Task[None] | None = None

    def _new_pool(self) -> AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]]:
        return AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]](
            self.url, connection_class=psycopg.AsyncConnection[dict[str, Any]], open=False,
            # a connection that died with a server restart or failover is replaced, not handed out
            check=AsyncConnectionPool.check_connection,
            kwargs={"row_factory": dict_row, "autocommit": True}, **self._pool_args,
        )

    async def _ensure_open(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # no await before the new pool is set: no race between callers
            if self._loop is not None:
                # Used from a new event loop (a CLI step, then the server): the old pool's
                # connections and tasks belong to the old loop; start a fresh pool here.
                self._pool = self._new_pool()
            self._loop = loop
            self._opening = loop.create_task(self._pool.open(wait=False))
        assert self._opening is not None
        await self._opening

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
        """Close the pool (in the loop it was opened in); a later use opens a new one."""
        if self._loop is asyncio.get_running_loop():
            await self._pool.close()
            self._pool = self._new_pool()
        self._loop = self._opening = None
