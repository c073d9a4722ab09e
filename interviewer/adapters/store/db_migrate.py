"""Versioned schema migrations (Alembic) for the SQLite files and the PostgreSQL database.

`interviewer db upgrade` applies them. At start, a SQLite file is upgraded in place (it is the
embedded one-command mode), while a PostgreSQL database must already be at the head revision:
several instances share it, so its upgrade is an explicit step of the deployment. A database at a
revision this version does not know (written by a newer interviewer) is refused either way.

Files created before the migrations existed (by `CREATE TABLE IF NOT EXISTS`) are adopted by the
baseline revision 0001, which creates only the tables that are missing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from interviewer import PACKAGE_DIR
from interviewer.errors import SchemaMismatch

HEAD = "0004"  # the newest revision in interviewer/migrations/versions (a test checks it)
MIGRATIONS = PACKAGE_DIR / "migrations"


def sqlalchemy_url(url: str) -> str:
    """Our URL (`postgresql://`, `sqlite:///`) as SQLAlchemy names it (psycopg 3 as the driver)."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _config(url: str, connection: Any = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def script_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def current(url: str) -> str | None:
    """The database's revision, None when it has none (new, or made before migrations)."""
    import sqlalchemy as sa
    from alembic.runtime.migration import MigrationContext

    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None  # and do not create the file just to look
    engine = sa.create_engine(sqlalchemy_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _refuse_newer(url: str, revision: str | None) -> None:
    if revision is not None and revision not in known_revisions():
        raise SchemaMismatch(
            f"the database {redact(url)} is at schema revision {revision!r}, which this version of "
            f"interviewer does not know (its newest is {HEAD!r}): run a newer interviewer")


def upgrade(url: str, revision: str = "head") -> str:
    """Apply the migrations up to `revision`; return the revision the database is at after."""
    from alembic import command

    _refuse_newer(url, current(url))
    command.upgrade(_config(url), revision)
    now = current(url)
    assert now is not None
    return now


def check(url: str) -> None:
    """Refuse a database that is not at HEAD (PostgreSQL: `interviewer db upgrade` first)."""
    revision = current(url)
    _refuse_newer(url, revision)
    if revision != HEAD:
        raise SchemaMismatch(
            f"the database {redact(url)} is at schema revision {revision!r}, this interviewer needs "
            f"{HEAD!r}: run `interviewer db upgrade` first")


def ensure_sqlite(path: Path) -> None:
    """Bring a SQLite file to HEAD (cheap when it already is), refusing an unknown newer one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with sqlite3.connect(path) as db:
            row = db.execute("SELECT version_num FROM alembic_version").fetchone()
        if row is not None and row[0] == HEAD:
            return
    except sqlite3.OperationalError:
        pass  # no alembic_version table: a new file, or one made before migrations
    upgrade(sqlite_url(path))


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    if "://" not in url or "@" not in url.split("://", 1)[1]:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"
