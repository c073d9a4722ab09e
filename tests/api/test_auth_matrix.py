"""The authorization matrix: every endpoint x role x own/other organisation, allowed or denied."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import websockets

from interviewer.service.auth import POLICY, Action, Role
from interviewer.wiring import build_services
from tests.api.authkit import ORGS, ROLES, Receiver, completed_interview, make_keys
from tests.api.conftest import LiveServer, make_settings, serve


@dataclass
class World:
    live: LiveServer
    keys: dict[tuple[str, str], str]
    sessions: dict[str, str]  # org -> a completed interview of that org
    hooks: dict[str, str]  # org -> a webhook of that org
    receiver: Receiver

    def http(self, org: str | None, role: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.keys[(org, role)]}"} if org and role else {}
        return httpx.Client(base_url=self.live.base_url, headers=headers, timeout=60)

    def admin(self, org: str) -> httpx.Client:
        return self.http(org, "admin")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, encoder, bank) -> Iterator[World]:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path_factory.mktemp("matrix"), auth="on", rate_limit="",
                             rate_limit_ip="", rate_limit_anon="", ws_rate_limit="", webhook_backoff_base=0.01, webhook_allow_private=True,
                             webhook_max_attempts=1)
    svc = build_services(settings, encoder=encoder, bank=bank)
    keys = make_keys(svc)
    receiver = Receiver()
    url = receiver.start()
    for live in serve(svc):
        sessions, hooks = {}, {}
        for org in ORGS:
            qid = bank.all()[0].id
            made = completed_interview(live.base_url, keys[(org, "partner")], svc, question_ids=[qid])
            sessions[org] = made["session_id"]
            with httpx.Client(base_url=live.base_url, headers={
                    "Authorization": f"Bearer {keys[(org, 'partner')]}"}) as c:
                hooks[org] = c.post("/v1/webhooks", json={"url": url, "events": ["grade.created"]}).json()["id"]
        yield World(live, keys, sessions, hooks, receiver)
    receiver.stop()


def fresh_hook(w: World, org: str) -> str:
    with w.admin(org) as c:
        return str(c.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["grade.created"]}).json()["id"])


def fresh_key(w: World, org: str) -> str:
    with w.admin(org) as c:
        return str(c.post("/v1/keys", json={"role": "partner"}).json()["key_id"])


def fresh_interview(w: World, org: str) -> str:
    with w.http(org, "partner") as c:
        return str(c.post("/v1/interviews", json={"num_questions": 1}).json()["session_id"])


def first_question(w: World) -> str:
    return w.live.services.bank.all()[0].id


@dataclass(frozen=True)
class Endpoint:
    name: str
    action: Action
    method: str
    path: Callable[[World, str], str]  # (world, owner org of the target) -> path
    body: Callable[[World], Any] | None = None
    scoped: bool = True  # the target belongs to an org (else "other" means nothing)


def override_body(w: World) -> dict[str, Any]:
    return {"question_id": first_question(w), "score": 55, "reason": "matrix check"}


ENDPOINTS = [
    Endpoint("questions.list", Action.QUESTIONS_READ, "GET", lambda w, o: "/v1/questions", scoped=False),
    Endpoint("questions.get", Action.QUESTIONS_READ, "GET", lambda w, o: f"/v1/questions/{first_question(w)}", scoped=False),
    Endpoint("questions.search", Action.QUESTIONS_READ, "GET", lambda w, o: "/v1/questions/search?q=attention", scoped=False),
    Endpoint("grade", Action.GRADE, "POST", lambda w, o: "/v1/grade",
             lambda w: {"question_id": first_question(w), "answer": "softmax saturates"}, scoped=False),
    Endpoint("grade.batch", Action.GRADE, "POST", lambda w, o: "/v1/grade/batch",
             lambda w: {"items": [{"question_id": first_question(w), "answer": "softmax"}]}, scoped=False),
    Endpoint("interviews.create", Action.INTERVIEWS_CREATE, "POST", lambda w, o: "/v1/interviews",
             lambda w: {"num_questions": 1}, scoped=False),
    Endpoint("interviews.list", Action.INTERVIEWS_READ, "GET", lambda w, o: "/v1/interviews", scoped=False),
    Endpoint("interviews.get", Action.INTERVIEWS_READ, "GET", lambda w, o: f"/v1/interviews/{w.sessions[o]}"),
    Endpoint("interviews.export", Action.INTERVIEWS_READ, "GET",
             lambda w, o: f"/v1/interviews/{w.sessions[o]}/export?format=csv"),
    Endpoint("interviews.audit", Action.INTERVIEWS_READ, "GET", lambda w, o: f"/v1/interviews/{w.sessions[o]}/audit"),
    Endpoint("interviews.override", Action.INTERVIEWS_OVERRIDE, "POST",
             lambda w, o: f"/v1/interviews/{w.sessions[o]}/overrides", override_body),
    Endpoint("interviews.delete", Action.INTERVIEWS_DELETE, "DELETE",
             lambda w, o: f"/v1/interviews/{fresh_interview(w, o)}"),
    Endpoint("webhooks.create", Action.WEBHOOKS_MANAGE, "POST", lambda w, o: "/v1/webhooks",
             lambda w: {"url": "http://127.0.0.1:9/x", "events": ["interview.completed"]}, scoped=False),
    Endpoint("webhooks.list", Action.WEBHOOKS_MANAGE, "GET", lambda w, o: "/v1/webhooks", scoped=False),
    Endpoint("webhooks.get", Action.WEBHOOKS_MANAGE, "GET", lambda w, o: f"/v1/webhooks/{w.hooks[o]}"),
    Endpoint("webhooks.deliveries", Action.WEBHOOKS_MANAGE, "GET", lambda w, o: f"/v1/webhooks/{w.hooks[o]}/deliveries"),
    Endpoint("webhooks.test", Action.WEBHOOKS_MANAGE, "POST", lambda w, o: f"/v1/webhooks/{w.hooks[o]}/test"),
    Endpoint("webhooks.delete", Action.WEBHOOKS_MANAGE, "DELETE", lambda w, o: f"/v1/webhooks/{fresh_hook(w, o)}"),
    Endpoint("keys.create", Action.KEYS_MANAGE, "POST", lambda w, o: "/v1/keys", lambda w: {"role": "recruiter"}, scoped=False),
    Endpoint("keys.list", Action.KEYS_MANAGE, "GET", lambda w, o: "/v1/keys", scoped=False),
    Endpoint("keys.revoke", Action.KEYS_MANAGE, "DELETE", lambda w, o: f"/v1/keys/{fresh_key(w, o)}"),
    Endpoint("me", Action.SELF_READ, "GET", lambda w, o: "/v1/me", scoped=False),
    Endpoint("code.problems", Action.QUESTIONS_READ, "GET", lambda w, o: "/v1/code/problems", scoped=False),
    Endpoint("code.problem", Action.QUESTIONS_READ, "GET", lambda w, o: "/v1/code/problems/code-rope",
             scoped=False),
    Endpoint("code.run", Action.GRADE, "POST", lambda w, o: "/v1/code/run", scoped=False,
             body=lambda w: {"problem_id": "code-rope", "code": "def rope(x, positions, base=1.0):\n    return x\n"}),
    Endpoint("code.grade", Action.GRADE, "POST", lambda w, o: "/v1/code/grade", scoped=False,
             body=lambda w: {"problem_id": "code-rope", "code": "def rope(x, positions, base=1.0):\n    return x\n"}),
]

# Public routes: the same answer with no key, a bad key or any role's key.
PUBLIC = [("GET", "/v1/meta")]

CASES = [(e, role, where) for e in ENDPOINTS for role in ROLES for where in ("own", "other")
         if e.scoped or where == "own"]


def test_the_matrix_covers_every_route(world: World) -> None:
    spec = httpx.get(world.live.base_url + "/openapi.json").json()
    # The candidate's own routes take no API key but a profile id or a candidate token, whatever the
    # role: tests/api/test_candidate_history.py covers them (and that a key alone opens nothing).
    routes = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops
              if p.startswith("/v1/") and not p.startswith("/v1/candidate/")}
    covered = {(e.method, world_path_template(e)) for e in ENDPOINTS} | set(PUBLIC)
    assert routes == covered, routes ^ covered


@pytest.mark.parametrize(("method", "path"), PUBLIC)
def test_public_routes_need_no_key(world: World, method: str, path: str) -> None:
    answers = []
    for headers in ({}, {"Authorization": "Bearer iv_nope_nope"}):
        r = httpx.request(method, world.live.base_url + path, headers=headers)
        assert r.status_code == 200, (headers, r.status_code, r.text)
        answers.append(r.json())
    for role in ROLES:
        with world.http("acme", role) as c:
            r = c.request(method, path)
        assert r.status_code == 200, (role, r.status_code, r.text)
        answers.append(r.json())
    assert all(a == answers[0] for a in answers)


def world_path_template(e: Endpoint) -> str:
    templates = {
        "questions.get": "/v1/questions/{question_id}", "questions.search": "/v1/questions/search",
        "interviews.get": "/v1/interviews/{session_id}", "interviews.export": "/v1/interviews/{session_id}/export",
        "interviews.audit": "/v1/interviews/{session_id}/audit",
        "interviews.override": "/v1/interviews/{session_id}/overrides",
        "interviews.delete": "/v1/interviews/{session_id}",
        "webhooks.get": "/v1/webhooks/{webhook_id}", "webhooks.deliveries": "/v1/webhooks/{webhook_id}/deliveries",
        "webhooks.test": "/v1/webhooks/{webhook_id}/test", "webhooks.delete": "/v1/webhooks/{webhook_id}",
        "keys.revoke": "/v1/keys/{key_id}", "code.problem": "/v1/code/problems/{problem_id}",
    }
    if e.name in templates:
        return templates[e.name]
    return e.path(None, "acme").split("?")[0]  # type: ignore[arg-type]


@pytest.mark.parametrize(("endpoint", "role", "where"), CASES,
                         ids=[f"{e.name}-{r}-{w}" for e, r, w in CASES])
def test_matrix(world: World, endpoint: Endpoint, role: str, where: str) -> None:
    caller_org = "acme" if where == "own" else "beta"
    path = endpoint.path(world, "acme")
    body = endpoint.body(world) if endpoint.body else None
    with world.http(caller_org, role) as c:
        r = c.request(endpoint.method, path, json=body)
    allowed = Role(role) in POLICY[endpoint.action]
    if not allowed:
        assert r.status_code == 403, (r.status_code, r.text)
        assert r.json()["error"]["code"] == "forbidden"
    elif where == "other":
        assert r.status_code == 404, (r.status_code, r.text)
    else:
        assert 200 <= r.status_code < 300, (r.status_code, r.text)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_no_key_and_a_bad_key_are_unauthorized(world: World, endpoint: Endpoint) -> None:
    path = endpoint.path(world, "acme")
    for headers in ({}, {"Authorization": "Bearer iv_nope_nope"}, {"Authorization": "Basic abc"}):
        r = httpx.request(endpoint.method, world.live.base_url + path, headers=headers,
                          json=endpoint.body(world) if endpoint.body else None)
        assert r.status_code == 401, (headers, r.status_code, r.text)
        assert r.json()["error"]["code"] == "unauthorized"


def test_me_names_the_callers_key_org_role_and_allowed_actions(world: World) -> None:
    from interviewer.service.auth import parse_key_id

    for org, role in itertools.product(ORGS, ROLES):
        with world.http(org, role) as c:
            me = c.get("/v1/me").json()
        assert me["key_id"] == parse_key_id(world.keys[(org, role)])
        assert (me["org_id"], me["role"]) == (org, role)
        assert set(me["actions"]) == {a.value for a, roles in POLICY.items() if Role(role) in roles}
    with world.http("acme", "partner") as c:
        assert "keys.manage" not in c.get("/v1/me").json()["actions"]


def test_lists_never_show_another_orgs_items(world: World) -> None:
    for org, other in itertools.permutations(ORGS):
        for role in ROLES:
            with world.http(org, role) as c:
                ids = {i["session_id"] for i in c.get("/v1/interviews", params={"limit": 200}).json()["items"]}
            assert world.sessions[org] in ids and world.sessions[other] not in ids
        with world.http(org, "partner") as c:
            hooks = {h["id"] for h in c.get("/v1/webhooks").json()["items"]}
        assert world.hooks[org] in hooks and world.hooks[other] not in hooks
        with world.admin(org) as c:
            orgs = {k["org_id"] for k in c.get("/v1/keys").json()["items"]}
        assert orgs == {org}


def test_revoked_key_stops_working(world: World) -> None:
    with world.admin("acme") as c:
        made = c.post("/v1/keys", json={"role": "recruiter", "name": "temp"}).json()
        key = made["key"]
        assert httpx.get(world.live.base_url + "/v1/interviews",
                         headers={"Authorization": f"Bearer {key}"}).status_code == 200
        listed = {k["key_id"]: k for k in c.get("/v1/keys").json()["items"]}
        assert listed[made["key_id"]]["last_used_at"] is not None and "key" not in listed[made["key_id"]]
        assert c.delete(f"/v1/keys/{made['key_id']}").status_code == 204
    r = httpx.get(world.live.base_url + "/v1/interviews", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 401 and "revoked" in r.json()["error"]["message"]


def test_keys_are_stored_hashed(world: World) -> None:
    raw = (world.live.services.settings.data_dir / "admin.sqlite3").read_bytes()
    for key in world.keys.values():
        # iv_<key id>_<secret>; the secret is url-safe base64 and may itself contain "_"
        secret = key.split("_", 2)[2]
        assert len(secret) >= 32
        assert key.encode() not in raw and secret.encode() not in raw


def test_websocket_needs_a_key_to_start_and_accepts_header_or_field(world: World) -> None:
    async def run() -> None:
        async with websockets.connect(world.live.ws_url) as ws:
            await ws.send(json.dumps({"type": "start", "num_questions": 1}))
            err = json.loads(await ws.recv())
            assert err["type"] == "error" and err["code"] == "unauthorized"
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        async with websockets.connect(world.live.ws_url) as ws:
            await ws.send(json.dumps({"type": "start", "num_questions": 1, "token": world.keys[("acme", "recruiter")]}))
            assert json.loads(await ws.recv())["type"] == "session"
        headers = {"Authorization": f"Bearer {world.keys[('beta', 'partner')]}"}
        async with websockets.connect(world.live.ws_url, additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "start", "num_questions": 1}))
            session = json.loads(await ws.recv())
            assert session["type"] == "session"
        stored = await world.live.services.store.get(session["session_id"])
        assert stored is not None and stored.org_id == "beta"

    asyncio.run(run())


def test_candidate_token_of_one_session_does_not_open_another(world: World) -> None:
    with world.http("acme", "partner") as c:
        a = c.post("/v1/interviews", json={"num_questions": 1}).json()
        b = c.post("/v1/interviews", json={"num_questions": 1}).json()

    async def run() -> None:
        url = world.live.ws_url + f"?session_id={a['session_id']}&token={b['candidate_token']}"
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"type": "start"}))
            err = json.loads(await ws.recv())
            assert err["code"] == "unauthorized"

    asyncio.run(run())
