"""The image's build step exports every ONNX file a replica needs: run the Dockerfile's own warm-up
command as a process, then start the offline judge as a replica would and check that it writes
nothing to the (in the image read-only, root-owned) ONNX cache."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def warmup_command() -> str:
    """The `python -c "..."` of the Dockerfile's RUN step that builds the concept index."""
    runtime = (REPO / "Dockerfile").read_text(encoding="utf-8").rsplit("\nFROM ", 1)[1]
    joined = runtime.replace("\\\n", "")
    match = re.search(r'^RUN python -c "([^"]*build_retriever[^"]*)"', joined, re.M)
    assert match, "the Dockerfile no longer warms the image up with a python -c step"
    return match.group(1)


def snapshot(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")}


@pytest.mark.timeout(600)
def test_the_image_warmup_leaves_a_replica_nothing_to_export(tmp_path: Path) -> None:
    cache, data = tmp_path / "onnx", tmp_path / "data"
    env = {**os.environ, "INTERVIEWER_ENCODER_CACHE_DIR": str(cache),
           "INTERVIEWER_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    for key in [k for k in env if k.startswith("INTERVIEWER_") and k not in
                ("INTERVIEWER_ENCODER_CACHE_DIR", "INTERVIEWER_DATA_DIR")]:
        del env[key]  # the image's defaults, not this machine's
    built = subprocess.run([sys.executable, "-c", warmup_command()], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=540)
    assert built.returncode == 0, built.stderr[-3000:]
    before = snapshot(cache)
    assert any(name.endswith("cross.onnx") for name in before), sorted(before)  # the verifier's
    assert any(name.endswith(".onnx") and "cross" not in name for name in before)  # the encoder's
    replica = ("from interviewer.settings import Settings; from interviewer.wiring import "
               "build_offline_judge; j = build_offline_judge(Settings()); "
               "print(j.verifier.backend, j.encoder.name)")
    started = subprocess.run([sys.executable, "-c", replica], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=300)
    assert started.returncode == 0, started.stderr[-3000:]
    assert started.stdout.split() == ["onnx", "all-MiniLM-L6-v2-int8"]
    assert snapshot(cache) == before  # read, never written
