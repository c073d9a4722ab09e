"""Alembic environment: run the migrations on the URL (or connection) the caller configured.

On SQLite the whole upgrade is one transaction (SQLite has transactional DDL, but Python's sqlite3
module commits each DDL statement on its own: that is both slow, an fsync per statement, and
leaves a half-migrated file if a step fails), so BEGIN is emitted here explicitly.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context

from interviewer.adapters.store.db_schema import metadata

config = context.config


def _engine(url: str) -> sa.engine.Engine:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _no_implicit(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # the driver stops issuing (and skipping) BEGIN

        @sa.event.listens_for(engine, "begin")
        def _begin(conn: sa.engine.Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # a writer at once: no lock upgrade deadlock
    return engine


def _run(conn: sa.engine.Connection) -> None:
    context.configure(connection=conn, target_metadata=metadata, render_as_batch=True,
                      transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = _engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


run()
