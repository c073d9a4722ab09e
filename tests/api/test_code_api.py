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
