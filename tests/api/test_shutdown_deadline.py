"""The stop deadline armed by SIGTERM: a stop that hangs writes every thread's stack and exits 1."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from interviewer.settings import Settings

HANGING_STOP = """
import threading, time
from interviewer.api.shutdown import arm_deadline
threading.Thread(target=time.sleep, args=(120,), name="stuck-worker").start()  # joined at exit
arm_deadline(1.0)
time.sleep(120)
"""


def test_a_stop_that_hangs_past_the_deadline_dumps_the_stacks_and_exits_1() -> None:
    done = subprocess.run([sys.executable, "-c", HANGING_STOP], capture_output=True, text=True,
                          timeout=100)
    assert done.returncode == 1
    assert "Timeout (0:00:01)!" in done.stderr
    assert done.stderr.count("Thread 0x") + done.stderr.count("Current thread 0x") >= 2
    assert 'File "<string>", line 6' in done.stderr  # the main thread, stuck in its sleep


def test_a_deadline_shorter_than_the_grace_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"SHUTDOWN_DEADLINE \(25 s\) must be longer than"):
        Settings(_env_file=None, shutdown_grace=30, shutdown_deadline=25)  # type: ignore[call-arg]
    ok = Settings(_env_file=None, shutdown_grace=20, shutdown_deadline=28)  # type: ignore[call-arg]
    assert ok.shutdown_deadline > ok.shutdown_grace
