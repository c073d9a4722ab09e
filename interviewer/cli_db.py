"""`interviewer db ...`: schema migrations and moving the records between SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from interviewer.errors import SchemaMismatch
from interviewer.settings import Settings, get_settings

db_app = typer.Typer(help="The database: schema migrations, export and import (JSONL).",
                     no_args_is_help=True)

EXPORT_FORMAT = "interviewer-db"
EXPORT_VERSION = 1
# Tables the session store keeps; the others are the admin store's (a second file in default SQLite).
SESSION_TABLES = {"sessions", "messages", "session_tags", "instances", "owed_events"}

UrlOption = Annotated[str | None, typer.Option(
    "--url", help="postgresql://... or sqlite:///... (default: the server's settings)")]


def database_urls(settings: Settings) -> tuple[str, str]:
    """The URLs of the sessions' and the admin records' databases (the same one but for default SQLite)."""
    from interviewer.adapters.store.db_migrate import sqlite_url

    if settings.store_kind == "postgres":
        assert settings.database_url
        return settings.database_url, settings.database_url
    if settings.store_kind == "redis":
        raise typer.BadParameter(
            "the store is Redis alone, which has no relational schema: set INTERVIEWER_DATABASE_URL")
    sessions, admin = settings.sqlite_paths
    return sqlite_url(sessions), sqlite_url(admin)


def _urls(url: str | None) -> list[str]:
    if url:
        return [url]
    return list(dict.fromkeys(database_urls(get_settings())))


@contextmanager
def _reported() -> Iterator[None]:
    """A database that cannot be reached or a schema mismatch: one clear line and exit code 2."""
    import sqlalchemy.exc

    try:
        yield
    except SchemaMismatch as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(2) from None
    except sqlalchemy.exc.OperationalError as exc:
        typer.echo(f"cannot use the database: {exc.orig}", err=True)
        raise typer.Exit(2) from None


def check_database(settings: Settings) -> None:
    """At start: PostgreSQL must be at this version's revision; SQLite files are upgraded in place.
    Either way a database written by a newer, unknown version is refused (SchemaMismatch)."""
    from interviewer.adapters.store import db_migrate

    if settings.store_kind == "redis":
        return
    for url in dict.fromkeys(database_urls(settings)):
        if url.startswith("sqlite:///"):
            db_migrate.ensure_sqlite(Path(url.removeprefix("sqlite:///")))
        else:
            db_migrate.check(url)


@db_app.command()
def upgrade(url: UrlOption = None,
            revision: Annotated[str, typer.Option(help="Target revision")] = "head") -> None:
    """Apply the schema migrations (run it before starting a new version on PostgreSQL)."""
    from interviewer.adapters.store import db_migrate

    for u in _urls(url):
        if u.startswith("sqlite:///"):
            Path(u.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        with _reported():
            before = db_migrate.current(u)
            after = db_migrate.upgrade(u, revision)
        typer.echo(f"{db_migrate.redact(u)}: {before or 'none'} -> {after}")


@db_app.command()
def current(url: UrlOption = None) -> None:
    """The schema revision of the database(s), and the one this version needs."""
    from interviewer.adapters.store import db_migrate

    for u in _urls(url):
        with _reported():
            typer.echo(f"{db_migrate.redact(u)}: {db_migrate.current(u) or 'none'} (needs {db_migrate.HEAD})")


def _engine(url: str) -> Any:
    import sqlalchemy as sa

    from interviewer.adapters.store.db_migrate import sqlalchemy_url

    return sa.create_engine(sqlalchemy_url(url), poolclass=sa.pool.NullPool)


@contextmanager
def _open(path: str, mode: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdout if "w" in mode else sys.stdin
        return
    with open(path, mode, encoding="utf-8") as f:
        yield f


def export_rows(sessions_url: str, admin_url: str) -> Iterator[dict[str, Any]]:
    """A header, then one {"table", "row"} object per row of every table."""
    from interviewer.adapters.store import db_migrate
    from interviewer.adapters.store.db_schema import TABLES

    yield {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "schema": db_migrate.HEAD}
    for url in dict.fromkeys((sessions_url, admin_url)):
        db_migrate.check(url)
    engines = {u: _engine(u) for u in dict.fromkeys((sessions_url, admin_url))}
    try:
        for table in TABLES:
            url = sessions_url if table.name in SESSION_TABLES else admin_url
            with engines[url].connect() as conn:
                order = list(table.primary_key.columns)
                for row in conn.execution_options(stream_results=True).execute(
                        table.select().order_by(*order)).mappings():
                    yield {"table": table.name, "row": dict(row)}
    finally:
        for e in engines.values():
            e.dispose()


def import_rows(
    lines: Iterator[str], sessions_url: str, admin_url: str, *, batch: int = 1000
) -> dict[str, int]:
    """Insert an export into empty tables of databases at the same schema revision; counts per table."""
    import sqlalchemy as sa

    from interviewer.adapters.store import db_migrate
    from interviewer.adapters.store.db_schema import TABLES

    by_name = {t.name: t for t in TABLES}
    header = json.loads(next(lines, "{}") or "{}")
    if header.get("format") != EXPORT_FORMAT or header.get("version") != EXPORT_VERSION:
        raise typer.BadParameter("not an `interviewer db export` file (no header line)")
    if header.get("schema") != db_migrate.HEAD:
        raise typer.BadParameter(f"the export is of schema {header.get('schema')!r}, this version is "
                                 f"{db_migrate.HEAD!r}: import it with the version that exported it")
    engines = {u: _engine(u) for u in dict.fromkeys((sessions_url, admin_url))}
    counts: dict[str, int] = {}
    try:
        for url in engines:
            db_migrate.check(url)
        for t in TABLES:
            url = sessions_url if t.name in SESSION_TABLES else admin_url
            with engines[url].connect() as conn:
                if conn.execute(sa.select(sa.func.count()).select_from(t)).scalar():
                    raise typer.BadParameter(f"table {t.name} of {db_migrate.redact(url)} is not empty: "
                                             "import only into a new database")
        conns = {u: e.connect() for u, e in engines.items()}
        txs = [c.begin() for c in conns.values()]
        pending: dict[str, list[dict[str, Any]]] = {}

        def flush(name: str) -> None:
            rows = pending.pop(name, [])
            if rows:
                conns[sessions_url if name in SESSION_TABLES else admin_url].execute(
                    by_name[name].insert(), rows)

        for line in lines:
            if not line.strip():
                continue
            item = json.loads(line)
            name = item["table"]
            if name not in by_name:
                raise typer.BadParameter(f"unknown table {name!r} in the export")
            pending.setdefault(name, []).append(item["row"])
            counts[name] = counts.get(name, 0) + 1
            if len(pending[name]) >= batch:
                flush(name)
        for t in TABLES:  # parents are not enforced by keys; the order only keeps batches small
            flush(t.name)
        for url, conn in conns.items():
            if conn.dialect.name == "postgresql" and url == admin_url:
                # serial numbers (audit order, outbox order) continue after the imported ones
                for table, column in (("audit", "n"), ("outbox", "seq")):
                    conn.execute(sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                        f" COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"))
        for tx in txs:
            tx.commit()
        for c in conns.values():
            c.close()
    finally:
        for e in engines.values():
            e.dispose()
    return counts


def _default_urls(url: str | None) -> tuple[str, str]:
    return (url, url) if url else database_urls(get_settings())


@db_app.command("export")
def export_cmd(
    out: Annotated[str, typer.Argument(help="JSONL file to write ('-' for stdout)")],
    url: UrlOption = None,
) -> None:
    """Every table as JSON lines: a header, then {"table": ..., "row": {...}} per row."""
    n = 0
    with _reported(), _open(out, "w") as f:
        for obj in export_rows(*_default_urls(url)):
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
            n += 1
    typer.echo(f"exported {n - 1} rows", err=True)


@db_app.command("import")
def import_cmd(
    src: Annotated[str, typer.Argument(help="JSONL file from `interviewer db export` ('-' for stdin)")],
    url: UrlOption = None,
) -> None:
    """Load an export into a new database (run `interviewer db upgrade` on it first)."""
    with _reported(), _open(src, "r") as f:
        counts = import_rows(iter(f), *_default_urls(url))
    typer.echo(json.dumps(counts, sort_keys=True))
