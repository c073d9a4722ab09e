"""The benchmark scripts still run (at a tiny scale): they import the code they measure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# a bench starts a server and measures a baseline: minutes on a busy 2-core machine
pytestmark = pytest.mark.timeout(1000)

REPO = Path(__file__).resolve().parents[1]


def run(script: str, *args: str, timeout: float = 900) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    done = subprocess.run([sys.executable, str(REPO / "bench" / script), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_ws_load_runs_a_few_sessions_without_errors() -> None:
    out = run("ws_load.py", "--sessions", "3", "--questions", "1", "--pings", "10")
    assert "grades 3;" in out and "errors 0 " in out, out
    assert "x (target >= 0.7x)" in out and "x (target <= 2x)" in out, out


def test_load_model_runs_one_tiny_level_without_errors(tmp_path: Path) -> None:
    out_json = tmp_path / "load.json"
    out = run("load_model.py", "--rates", "2", "--level-seconds", "4", "--max-candidates", "2",
              "--questions", "1", "--compression", "200", "--think-seconds", "2", "--pause", "0", "--warmup", "1",
              "--json", str(out_json), timeout=900)  # a shared machine can take minutes to start a server
    result = json.loads(out_json.read_text())
    [level] = result["levels"]
    assert level["candidates"] == 2 and level["answers"] == 2 and level["grades"] == 2, out
    assert level["errors"] == 0 and level["error_reasons"] == {}, out
    assert level["deltas_per_answer"] > 1, out  # answers are typed, not pasted
    assert "| this checkout | 2 |" in out and "capacity this checkout:" in out, out


def test_listing_bench_runs_on_a_few_sessions() -> None:
    out = run("listing_bench.py", "--sessions", "300", "--repeat", "3", "--repeat-redis-deep", "1")
    for store in ("postgres", "sqlite", "redis"):
        assert f"| first page | {store} |" in out and f"| deep filtered page | {store} |" in out, out


def test_hostile_ping_measures_every_phase() -> None:
    out = run("hostile_ping.py", "--seconds", "2", "--workers", "1")
    for phase in ("idle", "infinite loop", "fork bomb", "memory bomb", "idle again"):
        assert f"| {phase} | " in out, out
    assert "| infinite loop | " in out and "timeout " in out.split("| infinite loop |")[1].split("\n")[0], out
    assert "memory " in out.split("| memory bomb |")[1].split("\n")[0], out
    assert "worst hostile p99 / idle p99:" in out and "(target <= 2x)" in out, out


@pytest.mark.parametrize("answers", [(), ("--interviews", "dev")])
def test_judge_bench_with_the_verifier_replays_its_passes_in_the_baseline(answers: tuple[str, ...]) -> None:
    out = run("judge_bench.py", "--answers", "6", "--repeats", "1", "--verify", *answers)
    pairs = int(out.split("verifier pairs read: ")[1].split()[0])
    assert pairs > 0, out  # the baseline runs the cross-encoder's passes too, not the encoder alone
    assert "raw model   : " in out and "judge / raw model throughput: " in out, out
