"""`interviewer interviews purge`: retention against the configured store (SQLite, or Redis), dry run
by default, deleting with `--yes`; recent or recently used interviews are kept."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from interviewer.service.ports import AdminStore, SessionStore
from interviewer.service.records import SessionMeta, StoredSession

CLI = [str(Path(sys.executable).parent / "interviewer")]
DAY = 86400.0


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("INTERVIEWER_")}
    environ.update(env)
    return subprocess.run(CLI + args, capture_output=True, text=True, env=environ, timeout=120, check=False)


def stores(env: dict[str, str]) -> tuple[SessionStore, AdminStore]:
    from interviewer.settings import Settings
    from interviewer.wiring import build_admin_store, build_store

    s = Settings(_env_file=None, data_dir=Path(env["INTERVIEWER_DATA_DIR"]),
                 store=env["INTERVIEWER_STORE"], redis_url=env.get("INTERVIEWER_REDIS_URL"))
    return build_store(s), build_admin_store(s)


@pytest.fixture(params=["sqlite", "redis"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    out = {"INTERVIEWER_DATA_DIR": str(tmp_path / "data"), "INTERVIEWER_STORE": request.param}
    if request.param == "redis":
        out["INTERVIEWER_REDIS_URL"] = request.getfixturevalue("redis_server").url
    return out


def test_purge_is_a_dry_run_until_yes(env: dict[str, str]) -> None:
    now = time.time()
    sessions = {  # id: (created, updated)
        "old": (now - 40 * DAY, now - 40 * DAY),
        "old-but-used": (now - 40 * DAY, now - 2 * DAY),
        "new": (now - 1 * DAY, now - 1 * DAY),
    }

    async def seed() -> None:
        store, admin = stores(env)
        for sid, (created, updated) in sessions.items():
            await store.create(StoredSession(sid, {"phase": "finished"}, 0, "h", "acme", created, updated))
            await store.commit(sid, state={"phase": "finished"}, messages=[{"seq": 1, "type": "grade"}], last_seq=1)
            await admin.put_session_meta(SessionMeta(sid, "acme", created, f"cand-{sid}"))
        await store.close()
        await admin.close()

    asyncio.run(seed())
    # a commit sets updated_at to now: age the two old ones again in the store's own terms
    asyncio.run(age(env, {"old": sessions["old"][1], "old-but-used": sessions["old-but-used"][1]}))

    dry = run(["interviews", "purge", "--older-than", "30", "--json"], env)
    assert dry.returncode == 0, dry.stderr
    out = json.loads(dry.stdout)
    assert out["deleted"] is False and [i["session_id"] for i in out["items"]] == ["old"]

    async def present() -> set[str]:
        store, admin = stores(env)
        try:
            return {sid for sid in sessions if await store.get(sid) is not None}
        finally:
            await store.close()
            await admin.close()

    assert asyncio.run(present()) == set(sessions)
    done = run(["interviews", "purge", "--older-than", "30", "--yes"], env)
    assert done.returncode == 0, done.stderr
    assert "deleted: 1 interview" in done.stdout
    assert asyncio.run(present()) == {"old-but-used", "new"}

    async def leftovers() -> tuple[list[dict[str, object]], dict[str, SessionMeta], list[str]]:
        store, admin = stores(env)
        try:
            return (await store.messages_after("old", 0), await admin.get_session_metas(["old", "new"]),
                    [e.action for e in await admin.list_audit("old")])
        finally:
            await store.close()
            await admin.close()

    messages, metas, audit = asyncio.run(leftovers())
    assert messages == [] and set(metas) == {"new"} and audit == ["interview.deleted"]
    assert run(["interviews", "purge"], env).returncode != 0  # --older-than is required


async def age(env: dict[str, str], updated: dict[str, float]) -> None:
    """Set `updated_at` directly in the backend (no port writes a past time)."""
    if env["INTERVIEWER_STORE"] == "sqlite":
        import sqlite3

        db = sqlite3.connect(Path(env["INTERVIEWER_DATA_DIR"]) / "interviewer.sqlite3")
        with db:
            for sid, at in updated.items():
                db.execute("UPDATE sessions SET updated_at=? WHERE session_id=?", (at, sid))
        db.close()
        return
    import redis.asyncio as aioredis

    r = aioredis.Redis.from_url(env["INTERVIEWER_REDIS_URL"])
    for sid, at in updated.items():
        await r.hset(f"iv:s:{sid}", "updated_at", repr(at))
    await r.aclose()
