"""Structured JSON logs: dotted event names as the message, extras as fields."""

from __future__ import annotations

import json
import logging
import re
import sys
import time

_STD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": round(time.time(), 3), "level": record.levelname.lower(),
            "logger": record.name, "event": record.getMessage(),
        }
        out.update({k: v for k, v in record.__dict__.items() if k not in _STD})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def setup(level: str = "INFO", *, json_logs: bool = True) -> None:
    """Configure the `interviewer` loggers once."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_logs else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("interviewer")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


# A candidate's token travels in the ws_url query string (`?session_id=…&token=…`); the servers' own
# request lines would otherwise write it to the logs.
_SECRET_PARAM = re.compile(r"(?i)\b((?:resume_|candidate_)?token=)[^&\s\"']+")
SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error")


def redact(text: str) -> str:
    """`text` with the value of every `token=` query parameter replaced."""
    return _SECRET_PARAM.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    """Removes tokens from a record's message and arguments (uvicorn logs request lines as args)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def redact_server_logs() -> None:
    """Install RedactSecrets on the server's access and error loggers (once)."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
