"""Coding questions inside an interview, over a real websocket with the real bubblewrap sandbox."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from interviewer.client import interview
from interviewer.wiring import build_services
from tests.api.conftest import LiveServer, make_settings, serve
from tests.code.wrong_solutions import WRONG

EXPLANATION = (
    "I divide the scores by sqrt(d) so that their variance does not grow with the head dimension. "
    "I subtract the row maximum before exponentiating so the softmax cannot overflow. "
    "The causal mask sets future positions to minus infinity before the softmax."
)


def reference_code(live: LiveServer, problem_id: str) -> str:
    """The problem's reference solution, under the entry point's name."""
    p = live.services.code_bank.get(problem_id)
    return p.source + f"\n{p.entry} = reference\n"


async def test_code_question_run_and_grade(live_server: LiveServer) -> None:
    wrong = textwrap.dedent(WRONG["code-attention"])
    async with interview(live_server.ws_url) as ws:
        q = await ws.start(question_ids=["code-attention"], max_followups=1)
        assert q["kind_of_answer"] == "code" and q["question_id"] == "code-attention"
        assert "softmax" in q["text"] and "def attention" in q["code"]["starter"]
        assert q["code"]["public_tests"] == ["basic"]
        assert q["code"]["hidden_tests"] == ["stability", "shapes", "masked_rows"]

        ran = await ws.run_code(wrong)
        assert ran["status"] == "passed" and ran["error"] is None  # the public group has no large logits
        assert [(g["name"], g["ok"]) for g in ran["groups"]] == [("basic", True)]

        await ws.send("code.run", code="def attention(q, k, v, causal=False)\n    return q\n")
        broken = await ws.recv_until("code.result")
        assert broken["status"] == "error" and "SyntaxError" in broken["detail"] + broken["output"]

        # One run at a time: a second run while the first (an endless loop) runs is refused as busy.
        await ws.send("code.run", code="def attention(q, k, v, causal=False):\n    while True:\n        pass\n")
        await ws.send("code.run", code=wrong)
        busy = await ws.recv_until("code.result")
        assert busy["error"] == "busy" and busy["status"] is None
        timed_out = await ws.recv_until("code.result")
        assert timed_out["status"] == "timeout" and not timed_out["groups"][0]["ok"]

        await ws.send("answer.submit", text=EXPLANATION, code=wrong)
        accepted = await ws.recv_until("answer.accepted")
        assert accepted["chars"] == len(wrong) + len(EXPLANATION)
        grade = await ws.recv_until("grade")
        by_id = {c["id"]: c for c in grade["criteria"]}
        assert list(by_id) == ["tests-basic", "tests-stability", "tests-shapes", "tests-masked_rows",
                               "explain-1", "explain-2", "explain-3"]
        assert by_id["tests-basic"]["verdict"] == "met"
        stability = by_id["tests-stability"]
        assert stability["verdict"] == "missed" and "NaN" in stability["note"]
        assert "hidden" in stability["note"] and "stability (hidden)" in grade["feedback"]
        assert any(by_id[f"explain-{n}"]["verdict"] != "missed" for n in (1, 2, 3))
        assert grade["judge"].startswith("tests+") and 0 < grade["score"] < 100
        # The heaviest failing group is followed up on its concept (a written answer, not code).
        follow = await ws.recv_until("question")
        assert follow["kind"] == "followup" and follow["kind_of_answer"] == "text"
        assert follow["text"] == live_server.services.code_bank.get("code-attention").group("stability").followup
        await ws.send("skip")
        summary = await ws.recv_until("summary")
        assert summary["answered"] == 1
        sid = ws.session_id
    async with httpx.AsyncClient(base_url=live_server.base_url) as c:
        turn = (await c.get(f"/v1/interviews/{sid}")).json()["turns"][0]
    assert turn["code"] == wrong and turn["answer"] == EXPLANATION  # the transcript keeps both
    missed = next(c for c in turn["grade"]["criteria"] if c["id"] == "tests-stability")
    assert missed["why"] == "these tests check very large logits"


async def test_include_code_makes_the_last_question_a_coding_one(live_server: LiveServer) -> None:
    async with interview(live_server.ws_url) as ws:
        first = await ws.start(num_questions=2, max_followups=0, include_code=True, topics=["inference"])
        assert first["kind_of_answer"] == "text" and first["code"] is None
        await ws.send("code.run", code="x = 1")
        assert (await ws.recv_until("error"))["code"] == "invalid_message"
        await ws.send("answer.submit", text="words", code="x = 1")
        assert (await ws.recv_until("error"))["code"] == "invalid_message"
        await ws.send("skip")
        second = await ws.recv_until("question")
        assert second["kind_of_answer"] == "code" and second["index"] == 2 and second["total"] == 2
        problem = live_server.services.code_bank.get(second["question_id"])
        assert problem.topic == "inference"
        await ws.send("answer.submit", text="only words")
        assert (await ws.recv_until("error"))["code"] == "empty_answer"
        grade = await ws.answer_code(reference_code(live_server, problem.id))
        assert grade["score"] == 70  # every test passed, no written explanation
        assert all(c["verdict"] == "met" for c in grade["criteria"] if c["id"].startswith("tests-"))
        assert all(c["verdict"] == "missed" for c in grade["criteria"] if c["id"].startswith("explain-"))
        await ws.recv_until("summary")


async def test_resume_regrades_nothing_and_replays_the_code_question(live_server: LiveServer) -> None:
    async with interview(live_server.ws_url) as ws:
        q = await ws.start(question_ids=["code-rmsnorm"], max_followups=0)
        sid, token = ws.session_id, ws.resume_token
        assert sid and token
    async with interview(live_server.ws_url) as ws2:
        await ws2.resume(sid, token, last_seq=0)
        replayed = await ws2.recv_until("question")
        assert replayed["kind_of_answer"] == "code" and replayed["code"] == q["code"]
        await ws2.send("answer.submit", code=reference_code(live_server, "code-rmsnorm"))
        assert (await ws2.recv_until("grade"))["score"] == 70


# Stable on large logits, but a fully masked row is -inf - (-inf) = NaN: only `masked_rows` fails.
NAN_ON_MASKED_ROWS = """
import numpy as np

def attention(q, k, v, causal=False):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if causal:
        t, n = s.shape[-2], s.shape[-1]
        s = np.where(np.arange(n)[None, :] <= np.arange(t)[:, None] + (n - t), s, -np.inf)
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    return w / w.sum(axis=-1, keepdims=True) @ v
"""


async def test_a_failing_test_group_is_followed_up_on_its_concept(live_server: LiveServer) -> None:
    masked = live_server.services.code_bank.get("code-attention").group("masked_rows")
    async with interview(live_server.ws_url) as ws:
        await ws.start(question_ids=["code-attention"], max_followups=1)
        grade = await ws.answer_code(NAN_ON_MASKED_ROWS, EXPLANATION)
        failed = [c["id"] for c in grade["criteria"] if c["id"].startswith("tests-") and c["verdict"] != "met"]
        assert failed == ["tests-masked_rows"]
        follow = await ws.recv_until("question")
        assert follow["kind"] == "followup" and follow["parent_question_id"] == "code-attention"
        assert follow["kind_of_answer"] == "text" and follow["code"] is None
        assert follow["text"] == masked.followup and "fully masked" in follow["text"]
        assert follow["concept"] == ("hidden tests: masked_rows "
                                     "(fully masked rows, where a query may attend to no key)")
        # A written answer that states the concept closes the gap in the code question's grade.
        answered = await ws.answer(masked.concept)
        assert answered["kind"] == "followup" and answered["criteria"][0]["verdict"] == "met"
        revised = await ws.recv_until("grade")
        assert revised["turn"] == grade["turn"] and revised["revision"] > grade["revision"]
        rec = {c["id"]: c for c in revised["criteria"]}["tests-masked_rows"]
        assert rec["recovered"] is True and rec["verdict"] == "missed"
        summary = await ws.recv_until("summary")
        assert [(c["question_id"], c["concept"]) for c in summary["recovered"]] == [
            ("code-attention", "hidden tests: masked_rows")]


async def test_a_passing_solution_gets_no_follow_up(live_server: LiveServer) -> None:
    async with interview(live_server.ws_url) as ws:
        await ws.start(question_ids=["code-attention"], max_followups=2)
        grade = await ws.answer_code(reference_code(live_server, "code-attention"))  # explanation missed
        assert all(c["verdict"] == "missed" for c in grade["criteria"] if c["id"].startswith("explain-"))
        await ws.recv_until("summary")
        assert not [m for m in ws.received if m["type"] == "question" and m["kind"] == "followup"]


@pytest.fixture
def no_sandbox_server(tmp_path: Path, encoder, bank) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """A server configured with a bubblewrap path that does not exist."""
    settings = make_settings(tmp_path, sandbox_bwrap=str(tmp_path / "missing" / "bwrap"))
    yield from serve(build_services(settings, encoder=encoder, bank=bank))


async def test_without_a_sandbox_coding_interviews_are_refused_at_start(no_sandbox_server: LiveServer) -> None:
    live = no_sandbox_server
    async with httpx.AsyncClient(base_url=live.base_url, timeout=60) as c:
        coding = (await c.get("/v1/meta")).json()["coding"]
        assert coding == {"available": False, "reason": "code questions are unavailable: bubblewrap "
                          "(bwrap) is not installed"}
        r = await c.post("/v1/interviews", json={"num_questions": 2, "include_code": True})
        assert r.status_code == 503 and r.json()["error"]["code"] == "sandbox_unavailable"
        r = await c.post("/v1/interviews", json={"question_ids": ["code-attention"]})
        assert r.status_code == 503 and r.json()["error"]["code"] == "sandbox_unavailable"
        assert (await c.post("/v1/interviews", json={"num_questions": 1})).status_code == 201
    async with interview(live.ws_url) as ws:
        for start in ({"num_questions": 2, "include_code": True}, {"question_ids": ["code-attention"]}):
            await ws.send("start", **start)
            refused = await ws.recv_until("error", "question")
            assert refused["type"] == "error" and refused["code"] == "sandbox_unavailable"
            assert "bubblewrap" in refused["message"]
        q = await ws.start(num_questions=1, max_followups=0)  # a written interview still starts
        assert q["kind_of_answer"] == "text"
        await ws.send("ping")
        assert (await ws.recv_until("pong"))["type"] == "pong"


async def test_a_working_sandbox_is_announced(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.base_url) as c:
        assert (await c.get("/v1/meta")).json()["coding"] == {"available": True, "reason": ""}
