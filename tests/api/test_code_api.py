"""The coding-problem REST routes on a live server with the real sandbox."""

from __future__ import annotations

import httpx

from tests.api.conftest import LiveServer

ATTENTION_WRONG = """
import numpy as np

def attention(q, k, v, causal=False):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if causal:
        t, n = s.shape[-2], s.shape[-1]
        s = np.where(np.arange(n)[None, :] <= np.arange(t)[:, None] + (n - t), s, -np.inf)
    w = np.exp(s)
    return w / w.sum(axis=-1, keepdims=True) @ v
"""


def test_problems_run_and_grade(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.base_url, timeout=60) as c:
        listed = c.get("/v1/code/problems").json()
        assert len(listed) >= 12
        one = c.get("/v1/code/problems/code-attention").json()
        assert one["entry"] == "attention" and "def attention" in one["starter"]
        assert c.get("/v1/code/problems/nope").json()["error"]["code"] == "not_found"

        ran = c.post("/v1/code/run", json={"problem_id": "code-attention", "code": ATTENTION_WRONG}).json()
        assert ran["status"] == "passed"  # the public group has no large logits
        assert [g["name"] for g in ran["groups"]] == ["basic"]

        graded = c.post("/v1/code/grade", json={"problem_id": "code-attention", "code": ATTENTION_WRONG})
        body = graded.json()
        assert graded.status_code == 200 and body["status"] == "failed"
        stability = next(g for g in body["groups"] if g["name"] == "stability")
        assert stability["hidden"] and not stability["ok"] and "NaN" in stability["reason"]
        assert 0 < body["score"] < 1

        loop = c.post("/v1/code/run", json={"problem_id": "code-rope", "code": "while True:\n    pass\n"})
        assert loop.json()["status"] == "timeout"
        assert c.get("/v1/code/problems").status_code == 200  # still serving

        big = c.post("/v1/code/run", json={"problem_id": "code-rope", "code": "x" * 70000})
        assert big.status_code in (413, 422)


def test_partner_grade_accepts_code_answers(live_server: LiveServer) -> None:
    explanation = ("I subtract the row maximum before exponentiating so the softmax is stable; "
                   "scores are divided by sqrt(d); the causal mask uses minus infinity.")
    with httpx.Client(base_url=live_server.base_url, timeout=120) as c:
        r = c.post("/v1/grade", json={"problem_id": "code-attention", "code": ATTENTION_WRONG,
                                      "explanation": explanation})
        assert r.status_code == 200, r.text
        body = r.json()
        ids = [cr["id"] for cr in body["criteria"]]
        assert ids == ["tests-basic", "tests-stability", "tests-shapes", "tests-masked_rows",
                       "explain-1", "explain-2", "explain-3"]
        by_id = {cr["id"]: cr for cr in body["criteria"]}
        assert by_id["tests-basic"]["verdict"] == "met"
        assert by_id["tests-stability"]["verdict"] == "missed" and "NaN" in by_id["tests-stability"]["note"]
        assert by_id["tests-stability"]["why"]  # the rubric's why, as for any missed criterion
        assert body["question_id"] == "code-attention" and body["judge"].startswith("tests+")
        assert 0 < body["score"] < 100 and "stability (hidden)" in body["feedback"]

        bare = c.post("/v1/grade", json={"problem_id": "code-attention", "code": ATTENTION_WRONG}).json()
        assert bare["judge"] == "tests" and bare["score"] < body["score"]

        assert c.post("/v1/grade", json={"problem_id": "nope", "code": "x = 1"}).status_code == 404
        for bad in ({"problem_id": "code-attention"},  # no code
                    {"problem_id": "code-attention", "code": "x = 1", "answer": "words"},  # answer, not explanation
                    {"question_id": "arch-attention-scaling", "code": "x = 1"},  # code for a written question
                    {"question_id": "arch-attention-scaling"}):  # no answer
            assert c.post("/v1/grade", json=bad).status_code == 422, bad
        batch = c.post("/v1/grade/batch", json={"items": [{"problem_id": "code-attention", "code": "x = 1"}]})
        assert batch.status_code == 422
        long = c.post("/v1/grade", json={"problem_id": "code-attention", "code": "x = 1",
                                         "explanation": "x" * 9000})
        assert long.status_code == 413 and long.json()["error"]["code"] == "answer_too_long"
