"""Shared fixtures: the real packaged encoder, a real redis-server on a free port, app clients."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import interviewer  # noqa: F401  (applies the offline environment)

REPO = Path(__file__).resolve().parents[1]

from interviewer.llm_local import free_port  # noqa: E402  (one definition; tests import it from here)


def wait_for(pred: Callable[[], object], timeout: float = 30.0, what: str = "the condition",
             interval: float = 0.05) -> None:
    """Poll `pred` every `interval` seconds until it is true; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(interval)

pytest_plugins = ["tests.fakes.plugin"]




@pytest.fixture(scope="session")
def encoder():  # type: ignore[no-untyped-def]
    """The real packaged all-MiniLM-L6-v2, loaded once per test session."""
    from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder

    return SentenceTransformerEncoder()


class RedisServer:
    """A real redis-server process on a free port with its own directory."""

    def __init__(self, workdir: Path, *, appendonly: bool = True, password: str | None = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.appendonly = appendonly
        self.password = password  # requirepass: every client must AUTH
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not installed (scripts/system-deps.sh installs it)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        args = [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir),
                "--save", "", "--daemonize", "no", "--protected-mode", "yes"]
        if self.appendonly:
            args += ["--appendonly", "yes", "--appendfsync", "everysec"]
        if self.password:
            args += ["--requirepass", self.password]
        hello = (f"AUTH {self.password}\r\n" if self.password else "").encode() + b"PING\r\n"
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(hello)
                    if b"+PONG" in s.recv(64):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A fresh real redis-server (AOF on) for one test; never the machine's shared one."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


class PostgresCluster:
    """A real PostgreSQL cluster of its own (Debian's `initdb` + `pg_ctl`) on a free port.

    Its data directory and unix socket are in a fresh temporary directory owned by `postgres`
    (the server refuses to run as root); never the machine's own server on 5432.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.root: Path | None = None

    @staticmethod
    def bindir() -> Path:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                       key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
        if not found:
            exe = shutil.which("initdb")
            if exe is None:
                raise RuntimeError("PostgreSQL is not installed (scripts/system-deps.sh installs it)")
            return Path(exe).parent
        return found[-1].parent

    def _as_postgres(self, args: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if os.getuid() == 0 else args

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> None:
        import tempfile

        self.root = Path(tempfile.mkdtemp(prefix="iv-pg-"))
        self.root.chmod(0o755)
        if os.getuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        bindir = self.bindir()
        data, log = self.root / "data", self.root / "server.log"
        subprocess.run(self._as_postgres([
            str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C", "--no-sync"]), check=True, stdout=subprocess.DEVNULL,
            cwd=self.root)
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
                " -c max_connections=200")
        subprocess.run(self._as_postgres([
            str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(log), "-w", "-t", "60",
            "start"]), check=True, stdout=subprocess.DEVNULL, cwd=self.root)

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.root is None:
            return
        subprocess.run(self._as_postgres([
            str(self.bindir() / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w",
            "stop"]), check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.root)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One PostgreSQL cluster for the whole test session, torn down at its end."""
    cluster = PostgresCluster()
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """A fresh, empty database in the session's cluster for one test; dropped after it."""
    import secrets

    name = f"t_{secrets.token_hex(6)}"
    yield postgres_cluster.create_database(name)
    postgres_cluster.drop_database(name)


@pytest.fixture
def postgres_db(postgres_url: str) -> str:
    """A fresh database at the newest schema revision (`interviewer db upgrade` applied)."""
    from interviewer.adapters.store.db_migrate import upgrade

    upgrade(postgres_url)
    return postgres_url
