"""Cancelling an interview (`DELETE /v1/interviews/{id}`) against a real server with auth on and the
real SQLite store: the candidate's live socket is told and closed, nothing of the session is left but
its audit entry, and only recruiters and admins of its org may do it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from interviewer.wiring import build_services
from tests.api.authkit import make_keys
from tests.api.conftest import LiveServer, make_settings, serve


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, encoder, bank) -> Iterator[tuple[LiveServer, dict[tuple[str, str], str]]]:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path_factory.mktemp("delete"), auth="on", rate_limit="", rate_limit_ip="",
                             rate_limit_anon="", ws_rate_limit="")
    svc = build_services(settings, encoder=encoder, bank=bank)
    keys = make_keys(svc)
    for live in serve(svc):
        yield live, keys


def auth(keys: dict[tuple[str, str], str], org: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys[(org, role)]}"}


async def next_of(ws: Any, *types: str) -> dict[str, Any]:
    while True:
        msg: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if msg["type"] in types:
            return msg


def test_delete_ends_the_live_socket_and_removes_the_session(
    world: tuple[LiveServer, dict[tuple[str, str], str]],
) -> None:
    live, keys = world
    svc = live.services
    base = live.base_url
    with httpx.Client(base_url=base, timeout=60) as c:
        made = c.post("/v1/interviews", json={"num_questions": 2, "max_followups": 0, "candidate_ref": "cand-del"},
                      headers=auth(keys, "acme", "partner")).json()
    sid = made["session_id"]

    async def run() -> tuple[dict[str, Any], int | None, dict[str, Any]]:
        async with websockets.connect(made["ws_url"]) as ws:
            await ws.send(json.dumps({"type": "start"}))
            await next_of(ws, "question")
            await ws.send(json.dumps({"type": "answer.submit", "text": "Attention scales with the square root."}))
            await next_of(ws, "grade")
            async with httpx.AsyncClient(base_url=base, timeout=60) as c:
                r = await c.delete(f"/v1/interviews/{sid}", headers=auth(keys, "acme", "recruiter"))
                assert r.status_code == 204, r.text
            err = await next_of(ws, "error")
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(ws.recv(), 30)
            code = closed.value.rcvd.code if closed.value.rcvd else None
        async with websockets.connect(live.ws_url) as again:  # the candidate's token opens nothing now
            await again.send(json.dumps({"type": "resume", "session_id": sid,
                                         "resume_token": made["candidate_token"], "last_seq": 0}))
            resumed = await next_of(again, "error")
        return err, code, resumed

    err, code, resumed = asyncio.run(run())
    assert err["code"] == "session_deleted" and code == 4410
    assert resumed["code"] == "session_not_found"

    async def stored() -> tuple[Any, list[Any], dict[str, Any], list[Any]]:
        assert svc.admin is not None
        return (await svc.store.get(sid), await svc.store.messages_after(sid, 0),
                await svc.admin.get_session_metas([sid]), await svc.admin.list_audit(sid))

    session, messages, metas, audit = asyncio.run(stored())
    assert session is None and messages == [] and metas == {}
    assert [(e.action, e.actor, e.org_id) for e in audit] == [("interview.deleted", audit[-1].actor, "acme")]
    with httpx.Client(base_url=base, timeout=60, headers=auth(keys, "acme", "recruiter")) as c:
        assert c.get(f"/v1/interviews/{sid}").status_code == 404
        assert sid not in {i["session_id"] for i in c.get("/v1/interviews?limit=200").json()["items"]}
        assert c.delete(f"/v1/interviews/{sid}").status_code == 404
        trail = c.get(f"/v1/interviews/{sid}/audit").json()["items"]  # the audit entry outlives it
        assert [e["action"] for e in trail] == ["interview.deleted"]
    with httpx.Client(base_url=base, timeout=60, headers=auth(keys, "beta", "recruiter")) as c:
        assert c.get(f"/v1/interviews/{sid}/audit").status_code == 404


def test_only_recruiters_and_admins_of_the_org_may_delete(
    world: tuple[LiveServer, dict[tuple[str, str], str]],
) -> None:
    live, keys = world
    with httpx.Client(base_url=live.base_url, timeout=60) as c:
        sid = c.post("/v1/interviews", json={"num_questions": 1},
                     headers=auth(keys, "acme", "partner")).json()["session_id"]
        r = c.delete(f"/v1/interviews/{sid}", headers=auth(keys, "acme", "partner"))
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        assert c.delete(f"/v1/interviews/{sid}", headers=auth(keys, "beta", "admin")).status_code == 404
        assert c.delete(f"/v1/interviews/{sid}").status_code == 401
        assert c.get(f"/v1/interviews/{sid}", headers=auth(keys, "acme", "admin")).status_code == 200
        assert c.delete(f"/v1/interviews/{sid}", headers=auth(keys, "acme", "admin")).status_code == 204
