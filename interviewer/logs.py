"""Structured JSON logs: dotted event names as the message, extras as fields.

`setup` puts every log line of a serving process on stderr in one format: the app's own loggers,
the server's access and error loggers (uvicorn), Python warnings and other libraries' loggers.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys

# uvicorn adds `color_message` (its message with terminal colour codes) to its records
_STD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "color_message"}


ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": round(record.created, 3), "level": record.levelname.lower(),
            "logger": record.name, "event": record.getMessage(),
        }
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == len(ACCESS_FIELDS):
            out["event"] = "http.request"  # uvicorn's request line, as fields
            out.update(zip(ACCESS_FIELDS, args, strict=True))
        out.update({k: v for k, v in record.__dict__.items() if k not in _STD})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error")


def setup(level: str = "INFO", *, json_logs: bool = True) -> None:
    """Send every logger of the process to one stderr handler in one format (call once, before
    the server starts, and run uvicorn with `log_config=None` so that it keeps this)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_logs else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(RedactSecrets())  # whichever logger a line comes from
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)  # other libraries: warnings and errors
    for name in ("interviewer", "uvicorn", *SERVER_LOGGERS):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(level.upper())
    logging.captureWarnings(True)  # `warnings.warn` as log lines (logger py.warnings)
    if json_logs:
        quiet_progress_bars()


def quiet_progress_bars() -> None:
    """No tqdm bars from the model libraries in a log stream (they are not lines).

    huggingface_hub and transformers read the variable when first imported, which `serve` does
    only after this (the model loads once the server is up)."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


# A candidate's token travels in the ws_url query string (`?session_id=…&token=…`); the servers' own
# request lines would otherwise write it to the logs.
_SECRET_PARAM = re.compile(r"(?i)\b((?:resume_|candidate_)?token=)[^&\s\"']+")


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
