"""The compose topology, as `docker compose config` resolves it (no Docker engine needed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO


def compose_command() -> list[str]:
    """`docker compose` (v2 plugin), else the standalone `docker-compose`; skip if neither runs."""
    if shutil.which("docker") is None and shutil.which("docker-compose") is None:
        pytest.skip("the docker CLI is not installed")
    if shutil.which("docker") is not None:
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose") is not None:
        return ["docker-compose"]
    pytest.skip("docker is installed without the compose plugin, and docker-compose is absent")


PASSWORD = "0123abcdef"


def compose_config(*overlays: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("REDIS_PASSWORD", "INTERVIEWER_SITE")}
    files = [arg for f in ("docker-compose.yml", *overlays) for arg in ("-f", f)]
    return subprocess.run(
        [*compose_command(), *files, "--profile", "llm", "--profile", "graders", "config"],
        cwd=REPO, env={**environ, "INTERVIEWER_ENV_FILE": "deploy/env.example", **env},
        capture_output=True, text=True, timeout=60,
    )


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    out = compose_config(REDIS_PASSWORD=PASSWORD)
    assert out.returncode == 0, out.stderr
    parsed: dict[str, Any] = yaml.safe_load(out.stdout)
    return parsed


def volume_sources(service: dict[str, Any]) -> dict[str, str]:
    """target -> source of a service's mounts, from the short or the long syntax."""
    mounts: dict[str, str] = {}
    for v in service.get("volumes", []):
        if isinstance(v, str):
            source, target = v.split(":")[:2]
        else:
            source, target = v.get("source", ""), v["target"]
        mounts[target] = source
    return mounts


def app_services(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services running the app image (the apps and `migrate`; not the graders)."""
    services = config["services"].items()
    return {name: s for name, s in services
            if s.get("image") == "interviewer:latest" and name != "grader"}


def test_two_app_replicas_share_redis_and_have_a_healthcheck(config: dict[str, Any]) -> None:
    apps = {n: s for n, s in app_services(config).items() if n != "migrate"}
    replicas = sum(int(s.get("deploy", {}).get("replicas", 1)) for s in apps.values())
    assert replicas >= 2, sorted(apps)
    for s in apps.values():
        assert "build" in s
        env = s["environment"]
        assert env["INTERVIEWER_REDIS_URL"] == f"redis://:{PASSWORD}@redis:6379/0"
        assert env["INTERVIEWER_STORE"] == "postgres"
        assert env["INTERVIEWER_DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:5432/" in env["INTERVIEWER_DATABASE_URL"]
        assert env["INTERVIEWER_AUTH"] == "on"  # from the env file, as deploy/env.example says
        assert "/readyz" in " ".join(s["healthcheck"]["test"])
        assert "redis" in s["depends_on"]
        assert s["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert s["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_postgres_keeps_its_data_on_a_named_volume_and_is_migrated_first(config: dict[str, Any]) -> None:
    pg = config["services"]["postgres"]
    assert pg["image"].startswith("postgres:")
    assert volume_sources(pg)["/var/lib/postgresql/data"] in config["volumes"]
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    migrate = config["services"]["migrate"]
    command = " ".join(migrate["command"]) if isinstance(migrate["command"], list) else migrate["command"]
    assert command == "interviewer db upgrade"
    assert migrate["environment"]["INTERVIEWER_DATABASE_URL"].startswith("postgresql://")
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_proxy_fronts_every_app_and_passes_websockets(config: dict[str, Any]) -> None:
    proxy = config["services"]["proxy"]
    assert proxy["image"].startswith(("caddy", "nginx"))
    assert proxy["ports"]
    mounts = volume_sources(proxy)
    conf_source = next(src for target, src in mounts.items() if target.startswith("/etc/"))
    text = (REPO / "deploy" / os.path.basename(conf_source)).read_text()
    upstreams = set(re.findall(r"\b([a-z0-9_-]+):8000\b", text))
    assert upstreams == set(app_services(config)) - {"migrate"}, upstreams
    if proxy["image"].startswith("nginx"):  # Caddy passes Upgrade by itself; nginx must be told
        assert "Upgrade" in text and "Connection" in text


def test_redis_persists_with_aof_on_a_named_volume(config: dict[str, Any]) -> None:
    redis = config["services"]["redis"]
    assert redis["image"].startswith("redis:7")
    command = " ".join(redis["command"]) if isinstance(redis["command"], list) else redis["command"]
    assert "--appendonly yes" in command and "--appendfsync everysec" in command
    source = volume_sources(redis)["/data"]
    assert source in config["volumes"]
    assert "healthcheck" in redis


def test_graders_are_their_own_scalable_service_behind_a_profile(config: dict[str, Any]) -> None:
    grader = config["services"]["grader"]
    assert grader["profiles"] == ["graders"] and grader["image"] == "interviewer:latest"
    command = " ".join(grader["command"]) if isinstance(grader["command"], list) else grader["command"]
    assert command == "interviewer grader"
    assert grader["environment"]["INTERVIEWER_REDIS_URL"] == f"redis://:{PASSWORD}@redis:6379/0"
    assert int(grader["deploy"]["replicas"]) >= 2
    assert grader["depends_on"]["redis"]["condition"] == "service_healthy"
    for app in (s for n, s in app_services(config).items() if n != "migrate"):
        assert app["environment"]["INTERVIEWER_REMOTE_GRADERS"] == "false"  # off unless asked


def test_the_llm_is_optional_behind_a_profile(config: dict[str, Any]) -> None:
    llm = config["services"]["llm"]
    assert llm["profiles"] == ["llm"]
    assert "llama.cpp" in llm["image"]
    assert volume_sources(llm)["/models"] in config["volumes"]


def test_the_image_runs_unprivileged_offline_and_with_auth() -> None:
    text = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    # every dependency hash-checked from the lock, torch's CPU build from the PyTorch index
    assert "pip install --require-hashes -r requirements.lock" in text
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text
    assert "pip install --no-deps ." in text
    assert re.search(r"^USER (?!root)\S+", text, re.M)
    assert re.search(r"^HEALTHCHECK .*", text, re.M) and "/readyz" in text
    for setting in ("INTERVIEWER_HOST=0.0.0.0", "INTERVIEWER_AUTH=on", "HF_HUB_OFFLINE=1"):
        assert setting in text
    ignored = (REPO / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".env" in ignored


def test_redis_requires_the_password_the_apps_use(config: dict[str, Any]) -> None:
    redis = config["services"]["redis"]
    command = redis["command"] if isinstance(redis["command"], list) else redis["command"].split()
    assert command[command.index("--requirepass") + 1] == PASSWORD
    assert redis["environment"]["REDISCLI_AUTH"] == PASSWORD  # the healthcheck's redis-cli logs in
    assert "ports" not in redis  # reachable only on the compose network


def test_without_a_redis_password_compose_refuses_to_start() -> None:
    out = compose_config()
    assert out.returncode != 0 and "REDIS_PASSWORD" in out.stderr


def test_the_proxy_serves_tls_and_hides_metrics(config: dict[str, Any]) -> None:
    proxy = config["services"]["proxy"]
    targets = {int(p["target"]) if isinstance(p, dict) else int(str(p).rsplit(":", 1)[1])
               for p in proxy["ports"]}
    assert targets == {443, 80}
    assert proxy["environment"]["INTERVIEWER_SITE"] == "localhost"
    text = (REPO / "deploy" / "Caddyfile").read_text()
    assert re.search(r"^\{\$INTERVIEWER_SITE:localhost\} \{", text, re.M)
    assert re.search(r"@metrics path /metrics /metrics/\*\n\s*respond @metrics 404", text)


def test_the_image_has_bubblewrap_and_the_sandbox_overlay_is_opt_in(
    config: dict[str, Any], tmp_path: Path,
) -> None:
    runtime = (REPO / "Dockerfile").read_text().rsplit("\nFROM ", 1)[1]  # the final stage
    assert re.search(r"apt-get install [^\n]*\bbubblewrap\b", runtime)
    for name in ("app1", "app2"):  # by default Docker's own confinement stays
        assert "security_opt" not in config["services"][name]
    out = compose_config("deploy/compose.sandbox.yml", REDIS_PASSWORD=PASSWORD)
    assert out.returncode == 0, out.stderr
    merged: dict[str, Any] = yaml.safe_load(out.stdout)
    for name in ("app1", "app2"):
        app = merged["services"][name]
        assert sorted(app["security_opt"]) == ["apparmor=unconfined", "seccomp=unconfined",
                                               "systempaths=unconfined"]
        assert "cap_add" not in app and "privileged" not in app and "user" not in app
        assert app["environment"] == config["services"][name]["environment"]  # the rest is unchanged
    assert "security_opt" not in merged["services"]["grader"]  # graders run no candidate code

    # a profile of one's own instead of `unconfined` (compose reads the file: it must exist)
    profile = tmp_path / "seccomp-bwrap.json"
    profile.write_text('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": []}', encoding="utf-8")
    custom = compose_config("deploy/compose.sandbox.yml", REDIS_PASSWORD=PASSWORD,
                            INTERVIEWER_SECCOMP_PROFILE=str(profile))
    assert custom.returncode == 0, custom.stderr
    opts = yaml.safe_load(custom.stdout)["services"]["app1"]["security_opt"]
    assert [o for o in opts if o.startswith("seccomp")] in ([f"seccomp={profile}"], [f"seccomp:{profile}"])
