"""`interviewer keys` against the configured store: the key alone on the last line, list, revoke."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from interviewer.adapters.store.admin_sqlite import SqliteAdminStore
from interviewer.errors import Unauthorized
from interviewer.service.auth import authenticate

CLI = [str(Path(sys.executable).parent / "interviewer")]


def run(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "INTERVIEWER_REDIS_URL"}
    environ.update({"INTERVIEWER_DATA_DIR": str(data_dir), "INTERVIEWER_STORE": "sqlite", **env})
    return subprocess.run(CLI + args, capture_output=True, text=True, env=environ, timeout=120, check=False)


def test_create_list_revoke(tmp_path: Path) -> None:
    made = run(["keys", "create", "--role", "recruiter", "--org", "acme", "--name", "ci"], tmp_path)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("iv_") and " " not in key
    listed = run(["keys", "list"], tmp_path)
    assert "recruiter" in listed.stdout and "acme" in listed.stdout and key not in listed.stdout
    admin = SqliteAdminStore(tmp_path / "admin.sqlite3")
    principal = asyncio.run(authenticate(admin, key))
    assert principal.org_id == "acme" and principal.role == "recruiter"
    assert run(["keys", "revoke", principal.key_id], tmp_path).returncode == 0
    with pytest.raises(Unauthorized):
        asyncio.run(authenticate(admin, key))
    assert run(["keys", "revoke", "nope"], tmp_path).returncode == 1
    bad = run(["keys", "create", "--role", "boss", "--org", "acme"], tmp_path)
    assert bad.returncode == 2 and "unknown role" in bad.stderr
    assert key.encode() not in (tmp_path / "admin.sqlite3").read_bytes()


def test_serve_refuses_a_public_bind_with_auth_off(tmp_path: Path) -> None:
    out = run(["serve", "--host", "0.0.0.0"], tmp_path, INTERVIEWER_AUTH="off")
    assert out.returncode == 2 and "INTERVIEWER_AUTH=on" in out.stderr


def test_keys_created_with_redis_are_seen_by_every_instance(tmp_path: Path, redis_server) -> None:  # type: ignore[no-untyped-def]
    from interviewer.adapters.store.admin_redis import RedisAdminStore

    made = run(["keys", "create", "--role", "partner", "--org", "beta"], tmp_path,
               INTERVIEWER_REDIS_URL=redis_server.url, INTERVIEWER_STORE="redis")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]

    async def check() -> None:
        for _ in range(2):  # two "instances": two independent connections
            admin = RedisAdminStore.from_url(redis_server.url)
            principal = await authenticate(admin, key)
            assert principal.org_id == "beta" and principal.role == "partner"
            await admin.close()

    asyncio.run(check())
