"""The candidate's history over REST: an anonymous profile, a partner's candidate_ref, reports."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from interviewer.client import Client, interview
from interviewer.wiring import build_services
from tests.api.authkit import INLINE, finish_interview, make_keys
from tests.api.conftest import LiveServer, make_settings, serve


def partial(sample: str) -> str:
    """The first two sentences of a sample answer: some concepts met (evidence), some gaps."""
    return ". ".join(sample.split(". ")[:2]) + "."


async def one_question(live: LiveServer, qid: str, answer: str, **start: Any) -> dict[str, Any]:
    async with interview(live.ws_url) as ws:
        await ws.start(question_ids=[qid], num_questions=1, max_followups=0, **start)
        grade = await ws.answer(answer)
        await ws.recv_until("summary")
        return {"session_id": ws.session_id, "token": ws.resume_token, "grade": grade}


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)


def test_profile_history_progress_recurring_gaps_report_and_revocation(live_server: LiveServer) -> None:
    base = live_server.base_url
    assert httpx.get(f"{base}/v1/candidate/history").status_code == 401
    bad = httpx.get(f"{base}/v1/candidate/history", headers={"X-Candidate-Profile": "cp_short"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"
    made = httpx.post(f"{base}/v1/candidate/profile")
    assert made.status_code == 201
    profile = made.json()["profile_id"]
    me = {"X-Candidate-Profile": profile}

    q = live_server.services.bank.all()[0]
    first = asyncio.run(one_question(live_server, q.id, partial(q.sample_answer), profile=profile))
    second = asyncio.run(one_question(live_server, q.id, partial(q.sample_answer), profile=profile))
    stranger = asyncio.run(one_question(live_server, q.id, "I do not know."))

    h = httpx.get(f"{base}/v1/candidate/history", headers=me).json()
    assert h["kind"] == "profile"
    assert [i["session_id"] for i in h["items"]] == [second["session_id"], first["session_id"]]
    for item in h["items"]:
        assert item["status"] == "completed" and item["per_topic"] == {q.area: item["score"]}
        assert item["gaps"], "a partial answer leaves gaps"
    rec = h["recurring_gaps"]
    assert rec and all(r["count"] == 2 and q.id in r["question_ids"] for r in rec)
    assert {r["concept"] for r in rec} == {g["concept"] for g in h["items"][0]["gaps"]}

    # one interview, read-only, with its evidence and the revealed sample answer
    read = httpx.get(f"{base}/v1/candidate/interviews/{first['session_id']}", headers=me).json()
    assert read["sample_answers"] == {q.id: q.sample_answer}
    quotes = [c["evidence"]["quote"] for c in first["grade"]["criteria"] if c["evidence"]]
    assert quotes
    assert [c["evidence"]["quote"] for c in read["turns"][0]["grade"]["criteria"] if c["evidence"]] == quotes
    other = httpx.get(f"{base}/v1/candidate/interviews/{stranger['session_id']}", headers=me)
    assert other.status_code == 404

    # the report, HTML and PDF, has every evidence quote, the gaps' why and the sample answer's start
    page = httpx.get(f"{base}/v1/candidate/interviews/{first['session_id']}/report?format=html", headers=me)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "sandbox" in page.headers["content-security-policy"]
    assert "<script" not in page.text
    pdf = httpx.get(f"{base}/v1/candidate/interviews/{first['session_id']}/report?format=pdf", headers=me)
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    import html

    for quote in quotes:
        assert html.escape(quote) in page.text
        assert " ".join(quote.split()) in text
    why = [g["why"] for g in h["items"][1]["gaps"] if g["why"]]
    assert why and html.escape(why[0]) in page.text
    assert html.escape(q.sample_answer[:60]) in page.text and "A sample answer" in text

    # a session's candidate token sees that session (no candidate_ref: nothing else)
    link = {"X-Candidate-Session": stranger["session_id"], "X-Candidate-Token": stranger["token"]}
    assert [i["session_id"] for i in httpx.get(f"{base}/v1/candidate/history", headers=link).json()["items"]] \
        == [stranger["session_id"]]
    wrong = {**link, "X-Candidate-Token": first["token"]}
    assert httpx.get(f"{base}/v1/candidate/history", headers=wrong).status_code == 401

    # revoked: the profile opens nothing any more
    gone = httpx.delete(f"{base}/v1/candidate/profile", headers=me)
    assert gone.status_code == 200 and gone.json() == {"unlinked": 2}
    assert httpx.get(f"{base}/v1/candidate/history", headers=me).json()["items"] == []
    assert httpx.get(f"{base}/v1/candidate/interviews/{first['session_id']}", headers=me).status_code == 404


@pytest.fixture
def auth_on(tmp_path, encoder, bank) -> Iterator[tuple[LiveServer, dict[tuple[str, str], str]]]:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, auth="on", rate_limit="", rate_limit_ip="", rate_limit_anon="",
                             ws_rate_limit="")
    svc = build_services(settings, encoder=encoder, bank=bank)
    keys = make_keys(svc)
    for live in serve(svc):
        yield live, keys


def test_partner_candidate_ref_history_through_the_candidate_token(
    auth_on: tuple[LiveServer, dict[tuple[str, str], str]],
) -> None:
    live, keys = auth_on
    base = live.base_url
    q = live.services.bank.all()[0]
    made = []
    with Client(base, api_key=keys[("acme", "partner")]) as p:
        for ref in ("cand-7", "cand-7", "someone-else"):
            made.append(p.create_interview(question_ids=[q.id], max_followups=0, candidate_ref=ref))
    with Client(base, api_key=keys[("beta", "partner")]) as p:  # same ref in another org: not theirs
        made.append(p.create_interview(question_ids=[q.id], max_followups=0, candidate_ref="cand-7"))
    with Client(base, api_key=keys[("acme", "partner")]) as p:  # the org's own question
        own = p.create_interview(questions=INLINE, max_followups=0, candidate_ref="cand-7")
    for m in made[:2]:
        asyncio.run(finish_interview(m["ws_url"], {q.id: partial(q.sample_answer)}))
    asyncio.run(finish_interview(own["ws_url"], {}, fallback=INLINE[0]["sample_answer"]))

    link = {"X-Candidate-Session": made[0]["session_id"], "X-Candidate-Token": made[0]["candidate_token"]}
    h = httpx.get(f"{base}/v1/candidate/history", headers=link).json()
    assert h["kind"] == "link"
    assert {i["session_id"] for i in h["items"]} == {made[0]["session_id"], made[1]["session_id"],
                                                     own["session_id"]}
    assert all(i["score"] is not None for i in h["items"])
    # a bank question's sample answer is shown after grading; the organisation's own is not
    assert httpx.get(f"{base}/v1/candidate/interviews/{made[0]['session_id']}", headers=link).json()[
        "sample_answers"] == {q.id: q.sample_answer}
    mine = httpx.get(f"{base}/v1/candidate/interviews/{own['session_id']}", headers=link).json()
    assert mine["turns"][0]["grade"] is not None and mine["sample_answers"] == {}
    page = httpx.get(f"{base}/v1/candidate/interviews/{own['session_id']}/report", headers=link).text
    assert "A sample answer" not in page and INLINE[0]["sample_answer"][:40] in page  # as the answer
    r = httpx.get(f"{base}/v1/candidate/interviews/{made[1]['session_id']}/report?format=pdf", headers=link)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert httpx.get(f"{base}/v1/candidate/interviews/{made[2]['session_id']}", headers=link).status_code == 404
    # an API key is not a candidate: whatever its role, it opens no candidate route
    key = {"Authorization": f"Bearer {keys[('acme', 'admin')]}"}
    assert httpx.get(f"{base}/v1/candidate/history", headers=key).status_code == 401
    # no anonymous profiles with auth on: history comes with the partner's link
    refused = httpx.post(f"{base}/v1/candidate/profile")
    assert refused.status_code == 403
    assert httpx.delete(f"{base}/v1/candidate/profile", headers=link).status_code == 403
