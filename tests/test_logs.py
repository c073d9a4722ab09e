"""One log format for the whole serving process: the app's loggers, uvicorn's access and error
loggers, Python warnings and other libraries, each line JSON, tokens redacted."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO

SCRIPT = """
import logging, warnings
from interviewer import logs
logs.setup("INFO")
logging.getLogger("uvicorn.error").info("Started server process [%d]", 42,
                                       extra={"color_message": "Started server process [\\x1b[36m%d\\x1b[0m]"})
logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "10.0.0.1:5000", "GET",
                                         "/v1/interviews/ws?session_id=s1&token=SECRET1", "1.1", 101)
logging.getLogger("interviewer.session").info("session.started", extra={"session_id": "s1"})
logging.getLogger("litellm").warning("provider said token=SECRET2")
warnings.warn("an old API")
print("stdout is not a log")
"""


def test_every_logger_writes_one_json_format() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                         timeout=60, check=True)
    lines = [json.loads(line) for line in out.stderr.splitlines()]  # each line is JSON
    by_logger = {d["logger"]: d for d in lines}
    assert set(by_logger) == {"uvicorn.error", "uvicorn.access", "interviewer.session", "litellm",
                              "py.warnings"}
    assert by_logger["uvicorn.error"]["event"] == "Started server process [42]"
    assert "color_message" not in by_logger["uvicorn.error"]
    access = by_logger["uvicorn.access"]
    assert access["event"] == "http.request" and access["method"] == "GET" and access["status"] == 101
    assert access["path"] == "/v1/interviews/ws?session_id=s1&token=[redacted]"
    assert by_logger["interviewer.session"]["session_id"] == "s1"
    assert "SECRET" not in out.stderr
    assert "an old API" in by_logger["py.warnings"]["event"]
    assert all({"ts", "level", "logger", "event"} <= set(d) for d in lines)
    assert out.stdout == "stdout is not a log\n"
