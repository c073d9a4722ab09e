"""The benchmark scripts still run (at a tiny scale): they import the code they measure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(script: str, *args: str) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    done = subprocess.run([sys.executable, str(REPO / "bench" / script), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=280, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_ws_load_runs_a_few_sessions_without_errors() -> None:
    out = run("ws_load.py", "--sessions", "3", "--questions", "1", "--pings", "10")
    assert "grades 3;" in out and "errors 0 " in out, out
    assert "x (target >= 0.7x)" in out and "x (target <= 2x)" in out, out


def test_listing_bench_runs_on_a_few_sessions() -> None:
    out = run("listing_bench.py", "--sessions", "300", "--repeat", "3", "--repeat-redis-deep", "1")
    for store in ("postgres", "sqlite", "redis"):
        assert f"| first page | {store} |" in out and f"| deep filtered page | {store} |" in out, out
