"""Follow-ups over a real socket: answers that omit a known criterion get a probe on exactly it,
a good follow-up answer closes the gap in the parent grade, and no probe repeats in a session."""

from __future__ import annotations

from typing import Any

from interviewer.client import interview
from interviewer.core.models import Question
from tests.api.conftest import LiveServer

QUESTIONS = ["arch-rope-vs-sinusoidal", "inf-kv-cache-sizing", "align-kl-penalty"]


def omit(q: Question, criterion_id: str) -> str:
    assert q.rubric is not None
    return " ".join(c.statement for c in q.rubric.criteria if c.id != criterion_id)


async def test_followups_probe_the_omitted_concept_and_close_the_gap(live_server: LiveServer) -> None:
    bank = live_server.services.bank
    questions = [bank.get(qid) for qid in QUESTIONS]
    async with interview(live_server.ws_url) as ws:
        q: dict[str, Any] = await ws.start(question_ids=QUESTIONS, num_questions=3, max_followups=1)
        probes: list[str] = []
        for main in questions:
            assert main.rubric is not None
            assert q["kind"] == "main" and q["question_id"] == main.id
            # omit the heaviest criterion (ties: the last), so the omitted one is not always first
            omitted = max(reversed(main.rubric.criteria), key=lambda c: c.weight)
            grade = await ws.answer(omit(main, omitted.id))
            by_id = {c["id"]: c for c in grade["criteria"]}
            assert by_id[omitted.id]["verdict"] in {"missed", "partial"}
            follow = await ws.recv_until("question")
            assert follow["kind"] == "followup" and follow["parent_question_id"] == main.id
            assert follow["concept"] == omitted.concept
            assert follow["text"] not in probes
            probes.append(follow["text"])
            before = grade["score"]
            await ws.answer(omitted.statement)
            revised = await ws.recv_until("grade")
            while revised.get("question_id") != main.id:
                revised = await ws.recv_until("grade")
            assert revised["revision"] > grade["revision"]
            rec = {c["id"]: c for c in revised["criteria"]}[omitted.id]
            assert rec["recovered"] is True
            assert rec["verdict"] == by_id[omitted.id]["verdict"]  # the original verdict stays visible
            assert revised["score"] > before
            if main is not questions[-1]:
                q = await ws.recv_until("question")
        summary = await ws.recv_until("summary")
        assert summary["answered"] >= 3
        closed = {(c["question_id"], c["concept"]) for c in summary["recovered"]}
        assert closed == {(m.id, max(reversed(m.rubric.criteria), key=lambda c: c.weight).concept)
                          for m in questions if m.rubric is not None}
    assert len(set(probes)) == len(probes) == 3
