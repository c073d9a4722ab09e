"""`interviewer keys` and `interviewer interviews`: API keys and retention, on the configured stores."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer

from interviewer.settings import get_settings


def print_json(data: Any) -> None:
    """What every `--json` option prints."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


keys_app = typer.Typer(help="API keys (stored hashed; INTERVIEWER_AUTH=on requires them).",
                       no_args_is_help=True)


def _admin_call(fn: Any) -> Any:
    """Run `fn(admin_store)` against the configured store (SQLite in the data dir, or Redis)."""
    from interviewer.wiring import build_admin_store

    async def run() -> Any:
        admin = build_admin_store(get_settings())
        try:
            return await fn(admin)
        finally:
            await admin.close()

    return asyncio.run(run())


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin | recruiter | partner")],
    org: Annotated[str, typer.Option(help="The organisation the key belongs to")],
    name: Annotated[str, typer.Option(help="A label to recognise the key by")] = "",
) -> None:
    """Create a key; it is printed once, alone on the last line (capture it with `| tail -n1`)."""
    from interviewer.errors import BadRequest
    from interviewer.service.auth import create_key

    try:
        record, key = _admin_call(lambda a: create_key(a, role=role, org_id=org, name=name))
    except BadRequest as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"created key {record.key_id} (role {record.role}, org {record.org_id}); "
               "it is shown only now:")
    typer.echo(key)


@keys_app.command("list")
def keys_list(
    org: Annotated[str | None, typer.Option(help="Only this organisation's keys")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List keys (ids, roles, orgs, created, last used, revoked); never the keys themselves."""
    from dataclasses import asdict

    keys = _admin_call(lambda a: a.list_keys(org_id=org))
    if as_json:
        print_json([{k: v for k, v in asdict(r).items() if k != "key_hash"} for r in keys])
        return
    from datetime import UTC, datetime

    def when(ts: float | None) -> str:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M") if ts else "-"

    typer.echo(f"{'KEY ID':<14}{'ROLE':<11}{'ORG':<18}{'CREATED':<18}{'LAST USED':<18}REVOKED")
    for r in keys:
        typer.echo(f"{r.key_id:<14}{r.role:<11}{r.org_id:<18}{when(r.created_at):<18}"
                   f"{when(r.last_used_at):<18}{when(r.revoked_at)}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key id (from `keys list`)")]) -> None:
    """Revoke a key: every instance refuses it from the next request on and closes its sockets."""
    import time

    from interviewer.service.claims import announce_revoked
    from interviewer.wiring import build_events

    async def revoke(admin: Any) -> bool:
        if not await admin.revoke_key(key_id, at=time.time()):
            return False
        events = build_events(get_settings())  # with Redis: every instance hears it at once
        try:
            await announce_revoked(events, key_id)
        finally:
            await events.close()
        return True

    if not _admin_call(revoke):
        typer.echo(f"error: no key {key_id!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


interviews_app = typer.Typer(help="Stored interviews: retention.", no_args_is_help=True)


@interviews_app.command("purge")
def interviews_purge(
    older_than: Annotated[float, typer.Option("--older-than", min=0, metavar="DAYS",
                                              help="Interviews created and last changed more than DAYS ago")],
    yes: Annotated[bool, typer.Option("--yes", help="Delete them (without it: only list them)")] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many per run")] = 10_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Delete old interviews (answers, grades, messages; an audit entry stays). Dry run by default."""
    from dataclasses import asdict

    from interviewer.service.retention import Stores, purge
    from interviewer.wiring import build_admin_store, build_events, build_store

    async def run() -> Any:
        s = get_settings()
        st = Stores(build_store(s), build_admin_store(s), build_events(s))
        try:
            return await purge(st, older_than_days=older_than, dry_run=not yes, limit=limit)
        finally:
            await st.store.close()
            await st.admin.close()
            await st.events.close()

    found = asyncio.run(run())
    if as_json:
        print_json({"deleted": yes, "items": [asdict(p) for p in found]})
        return
    for p in found:
        typer.echo(f"{p.session_id}  org {p.org_id}  {p.phase}")
    verb = "deleted" if yes else "would delete (dry run; add --yes to delete)"
    typer.echo(f"{verb}: {len(found)} interview(s) older than {older_than:g} days")
