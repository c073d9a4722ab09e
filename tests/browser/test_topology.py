"""The compose topology run as processes: Caddy (Debian's, with its internal TLS and the same
deploy/Caddyfile as compose) in front of two `interviewer serve` instances, one Redis with a
password, AUTH=on, a webhook sink on loopback.

A recruiter creates an interview; a candidate opens the candidate link in real Chromium through the
proxy; the instance holding the candidate's socket is killed with SIGKILL after the first grade;
the candidate finishes on the other one; the recruiter reads the transcript; the sink receives
every event exactly once. Rate limits see each client's own address (from Caddy's
X-Forwarded-For), and `/metrics` is not served through the proxy.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.store.admin_redis import RedisAdminStore
from interviewer.client import Client, verify_signature
from interviewer.service.auth import create_key
from tests.api.authkit import Receiver
from tests.browser.test_chat_ui import first_sentences, question_id, wait_grade, wait_open_question
from tests.conftest import REPO, RedisServer, free_port, wait_for
from tests.scaleout.procs import AppProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

ANON_LIMIT = 8  # unauthenticated requests per client address and minute


class Caddy:
    """`caddy run` on deploy/Caddyfile, its site and upstreams set through the environment."""

    def __init__(self, root: Path, upstreams: list[str]) -> None:
        self.root, self.port = root, free_port()
        self.env = {**os.environ, "HOME": str(root), "XDG_DATA_HOME": str(root / "data"),
                    "XDG_CONFIG_HOME": str(root / "config"),
                    "INTERVIEWER_SITE": f"127.0.0.1:{self.port}",
                    "INTERVIEWER_UPSTREAMS": " ".join(upstreams),
                    "CADDY_ADMIN": f"127.0.0.1:{free_port()}", "CADDY_HTTP_PORT": str(free_port()),
                    "CADDY_HTTPS_PORT": str(self.port)}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def root_cert(self) -> str:
        """Caddy's internal CA, which signed the site's certificate."""
        return str(self.root / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt")

    def start(self) -> None:
        exe = shutil.which("caddy")
        if exe is None:
            pytest.skip("caddy is not installed (scripts/system-deps.sh installs Debian's)")
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "caddy.log").open("ab") as out:
            self.proc = subprocess.Popen(
                [exe, "run", "--config", str(REPO / "deploy" / "Caddyfile"), "--adapter", "caddyfile"],
                env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.root / "caddy.log").read_text()[-2000:]
            try:
                if httpx.get(self.url + "/readyz", verify=self.root_cert, timeout=2).status_code == 200:
                    return
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(0.3)
        raise RuntimeError("caddy did not get ready: " + (self.root / "caddy.log").read_text()[-2000:])

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@dataclass
class Topology:
    redis: RedisServer
    apps: list[AppProcess]
    caddy: Caddy
    sink: Receiver
    sink_url: str
    keys: dict[str, str]
    bank: YamlQuestionBank

    def client(self, role: str, **kw: Any) -> Client:
        return Client(self.caddy.url, api_key=self.keys[role], verify=self.caddy.root_cert, **kw)


def make_keys(redis_url: str) -> dict[str, str]:
    async def run() -> dict[str, str]:
        admin = RedisAdminStore.from_url(redis_url)
        try:
            return {role: (await create_key(admin, role=role, org_id="acme"))[1]
                    for role in ("recruiter", "partner")}
        finally:
            await admin.close()

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
        return pool.submit(asyncio.run, run()).result(timeout=60)


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    root = tmp_path_factory.mktemp("topology")
    redis = RedisServer(root / "redis", password="s3cret0topology")
    redis.start()
    env = {"INTERVIEWER_AUTH": "on", "INTERVIEWER_TRUSTED_PROXIES": "127.0.0.1/32",
           "INTERVIEWER_RATE_LIMIT_ANON": f"{ANON_LIMIT}/minute",
           "INTERVIEWER_WEBHOOK_ALLOW_PRIVATE": "true", "INTERVIEWER_WEBHOOK_BACKOFF_BASE": "0.2",
           "INTERVIEWER_SWEEP_INTERVAL": "0.5", "INTERVIEWER_INSTANCE_TTL": "2"}
    apps = [AppProcess(name, root / name, redis.url, root / "data", env=env) for name in ("a", "b")]
    caddy = Caddy(root / "caddy", [f"127.0.0.1:{a.port}" for a in apps])
    for a in apps:
        a.extra_env["INTERVIEWER_PUBLIC_URL"] = caddy.url
    sink = Receiver()
    try:
        for a in apps:  # one after the other: the first builds the concept index, the second loads it
            a.start()
            a.wait_ready()
        caddy.start()
        sink_url = sink.start()
        yield Topology(redis, apps, caddy, sink, sink_url, make_keys(redis.url),
                       YamlQuestionBank.load([REPO]))
    finally:
        caddy.stop()
        for a in apps:
            a.stop()
        sink.stop()
        redis.stop()


def sessions_active(app: AppProcess) -> float:
    """The app's own /metrics (straight to the instance, not through the proxy)."""
    text = httpx.get(app.base_url + "/metrics", timeout=5).text
    line = next(x for x in text.splitlines() if x.startswith("interviewer_sessions_active "))
    return float(line.split()[1])


def test_an_interview_through_the_proxy_survives_sigkill_of_its_instance(
        browser: Any, topology: Topology) -> None:
    t = topology
    with t.client("partner") as partner:
        hook = partner.create_webhook(t.sink_url, ["grade.created", "interview.completed"])
    qids = [q.id for q in t.bank.all()[:2]]
    with t.client("recruiter") as rec:
        made = rec.create_interview(question_ids=qids, max_followups=0, candidate_ref="topology")
    assert made["candidate_url"].startswith(t.caddy.url + "/")
    assert made["ws_url"].startswith(f"wss://127.0.0.1:{t.caddy.port}/")

    # Chromium does not know Caddy's internal CA: the certificate is checked by the Python clients
    ctx = browser.new_context(ignore_https_errors=True)
    ctx.set_default_timeout(60_000)
    page = ctx.new_page()
    try:
        page.goto(made["candidate_url"])
        turn = wait_open_question(page)
        assert question_id(page, turn) == qids[0]
        page.fill("#answer", first_sentences(t.bank.get(qids[0]).sample_answer, 2))
        page.click("#submit-button")
        wait_grade(page, turn)
        wait_for(lambda: any(e["type"] == "grade.created" for e in t.sink.events()), 60,
                 "grade.created", 0.1)

        holder = next(a for a in t.apps if sessions_active(a) == 1)
        other = next(a for a in t.apps if a is not holder)
        holder.kill9()

        turn = wait_open_question(page)  # the chat reconnects through the proxy to the other instance
        assert question_id(page, turn) == qids[1]
        page.fill("#answer", first_sentences(t.bank.get(qids[1]).sample_answer, 2))
        page.click("#submit-button")
        wait_grade(page, turn)
        page.wait_for_selector("#summary-view:not([hidden]) .summary-score")
        assert sessions_active(other) == 1
    finally:
        ctx.close()

    with t.client("recruiter") as rec:
        transcript = rec.interview(made["session_id"])
    assert transcript["status"] == "completed" and transcript["candidate_ref"] == "topology"
    assert [turn["question_id"] for turn in transcript["turns"]] == qids
    assert all(turn["grade"] is not None for turn in transcript["turns"])

    wait_for(lambda: any(e["type"] == "interview.completed" for e in t.sink.events()),
             60, "interview.completed", 0.1)
    time.sleep(2.0)  # a duplicate would arrive within a few polls
    events = t.sink.events()
    assert Counter(e["id"] for e in events).most_common(1)[0][1] == 1, "an event arrived twice"
    assert sorted((e["type"], e["data"].get("grade", {}).get("question_id")) for e in events) == sorted(
        [("grade.created", qids[0]), ("grade.created", qids[1]), ("interview.completed", None)])
    for headers, body in t.sink.received:
        assert verify_signature(hook["secret"], headers["interviewer-signature"], body)


def test_rate_limits_see_each_client_address_behind_the_proxy(topology: Topology) -> None:
    t = topology

    def client_from(source: str) -> httpx.Client:
        return httpx.Client(base_url=t.caddy.url, verify=t.caddy.root_cert, timeout=30,
                            transport=httpx.HTTPTransport(local_address=source, verify=t.caddy.root_cert))

    with client_from("127.0.0.2") as alice, client_from("127.0.0.3") as bob:
        codes = [alice.get("/v1/questions").status_code for _ in range(ANON_LIMIT + 1)]
        assert codes == [401] * ANON_LIMIT + [429]
        # another address through the same proxy has its own bucket, and cannot spend Alice's
        assert bob.get("/v1/questions", headers={"X-Forwarded-For": "127.0.0.2"}).status_code == 401
        assert alice.get("/v1/questions").status_code == 429


def test_metrics_are_not_served_through_the_proxy(topology: Topology) -> None:
    t = topology
    with httpx.Client(base_url=t.caddy.url, verify=t.caddy.root_cert, timeout=30) as c:
        assert c.get("/metrics").status_code == 404
        assert c.get("/metrics/").status_code == 404
        assert c.get("/readyz").status_code == 200
    live = next(a for a in t.apps if a.proc is not None)
    assert httpx.get(live.base_url + "/metrics", timeout=5).status_code == 200  # the operator's way


def test_every_line_the_instances_logged_is_json(topology: Topology) -> None:
    """The app's events and the server's access and error lines, in one format (runs last)."""
    for app in topology.apps:
        lines = [line for line in app.log.read_text().splitlines() if line.strip()]
        records = [json.loads(line) for line in lines]
        loggers = {r["logger"] for r in records}
        assert {"uvicorn.error", "uvicorn.access", "interviewer.app"} <= loggers, loggers
        assert any(r["event"] == "http.request" and r["path"] == "/readyz" for r in records)
        assert all("token=" not in r.get("path", "") or "[redacted]" in r["path"] for r in records)
