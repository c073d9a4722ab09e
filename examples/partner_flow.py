"""A partner integration end to end with the typed client: a webhook, an interview for a candidate,
the candidate's client answering over the websocket, the recruiter's review and exports.

    INTERVIEWER_AUTH=on interviewer serve &
    PARTNER=$(interviewer keys create --role partner --org acme | tail -n1)
    RECRUITER=$(interviewer keys create --role recruiter --org acme | tail -n1)
    python examples/partner_flow.py http://127.0.0.1:8000 "$PARTNER" "$RECRUITER"
"""

from __future__ import annotations

import asyncio
import sys

from interviewer.client import Client, interview


async def candidate(ws_url: str) -> None:
    """What the candidate's client does with the `ws_url` it was given: join, answer, read the summary."""
    async with interview(ws_url) as ws:
        q = await ws.join()
        while True:
            print(f"Q{q['index']}/{q['total']}: {q['text']}")
            grade = await ws.answer("Attention weighs the values by the softmax of query-key scores.")
            print(f"  score {grade['score']}")
            nxt = await ws.recv_until("question", "summary")
            if nxt["type"] == "summary":
                print(f"overall {nxt['score']}")
                return
            q = nxt


def main(base_url: str, partner_key: str, recruiter_key: str) -> None:
    with Client(base_url, api_key=partner_key) as partner:
        made = partner.create_interview(
            company="Nvidia", difficulty="medium", num_questions=2, max_followups=0,
            candidate_ref="candidate-001", idempotency_key="candidate-001-round-1",
        )
        print("session", made["session_id"])
    asyncio.run(candidate(made["ws_url"]))
    with Client(base_url, api_key=recruiter_key) as recruiter:
        t = recruiter.interview(made["session_id"])
        first = t["turns"][0]
        criterion = first["grade"]["criteria"][0]
        out = recruiter.override(made["session_id"], question_id=first["question_id"],
                                 criterion_id=criterion["id"], verdict="met",
                                 reason="Stated clearly in the second paragraph.")
        print("score after override", out["grade"]["score"], "interview", out["interview_score"])
        with open(f"interview-{made['session_id']}.pdf", "wb") as f:
            f.write(recruiter.export(made["session_id"], "pdf"))


if __name__ == "__main__":
    main(*sys.argv[1:4])
