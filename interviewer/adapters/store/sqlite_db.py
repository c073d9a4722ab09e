"""One SQLite connection shared by the SQLite adapters: WAL, synchronous=FULL, calls in its own thread.

The file's schema is brought to the newest migration first (interviewer/migrations, see db_migrate).

The connection has its own single worker thread rather than the event loop's default executor:
a commit must never queue behind CPU-bound work (grading) there, or the socket that waits for the
commit stops reading frames, keepalive pongs included.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class SqliteDb:
    """Every call runs in this database's worker thread on one connection guarded by a lock."""

    def __init__(self, path: Path) -> None:
        from interviewer.adapters.store.db_migrate import ensure_sqlite

        ensure_sqlite(path)  # refuses a file of a newer, unknown schema (SchemaMismatch)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite-{path.stem}")

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def locked() -> T:
            with self._lock:
                return fn(self._db)

        return await asyncio.get_running_loop().run_in_executor(self._executor, locked)

    async def close(self) -> None:
        """Close the connection, then let its worker thread end."""
        await self._run(lambda db: db.close())
        self._executor.shutdown(wait=False)
