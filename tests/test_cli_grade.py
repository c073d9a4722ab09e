"""`interviewer grade`: one answer graded by the configured judge, printed as the REST grade body."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CLI = [str(Path(sys.executable).parent / "interviewer")]


def run(args: list[str], data_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("INTERVIEWER_")}
    environ.update({"INTERVIEWER_DATA_DIR": str(data_dir), "INTERVIEWER_STORE": "sqlite", "HF_HUB_OFFLINE": "1"})
    return subprocess.run(CLI + args, capture_output=True, text=True, env=environ, input=stdin, timeout=300,
                          check=False)


def test_grade_own_question_from_stdin_prints_the_grade_and_exits(tmp_path: Path) -> None:
    sample = ("A write-ahead log records every change durably before data pages are modified. After a crash "
              "the database replays the log to redo committed transactions.")
    done = run(["grade", "--answer", "-", "--question", "Why do databases use write-ahead logging?",
                "--sample-answer", sample], tmp_path, stdin=sample)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["score"] >= 90 and body["criteria"], body
    assert all(c["verdict"] == "met" for c in body["criteria"])
    missing = run(["grade", "--question", "Why?"], tmp_path)
    assert missing.returncode == 2 and "--answer" in missing.stderr
