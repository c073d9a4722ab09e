"""Text at the edge: every string a client sends must be encodable as UTF-8, or it is refused.

JSON allows `"\\ud800"`, a lone surrogate that Python decodes into a `str` that cannot be encoded
again: stored, it would break grading, storage and every later response of its interview.
"""

from __future__ import annotations

import json
import re
from typing import Any

from interviewer.errors import InvalidText

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unencodable_at(data: Any) -> str | None:
    """The path (`answers.2.text`) of the first key or string that is not valid Unicode, or None."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:  # iterative: parsed JSON may nest deeper than Python's recursion limit
        path, value = stack.pop()
        if isinstance(value, str):
            if not _encodable(value):
                return path or "(body)"
        elif isinstance(value, dict):
            for k, v in value.items():
                if not _encodable(k):
                    return f"{path}.(key)".lstrip(".")
                stack.append((f"{path}.{k}".lstrip("."), v))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}".lstrip("."), v) for i, v in enumerate(value))
    return None


def check_text(data: Any) -> None:
    """Raise InvalidText when any string in `data` (a parsed JSON value) is not valid Unicode."""
    where = unencodable_at(data)
    if where is not None:
        raise InvalidText(f"{where}: the text is not valid Unicode (a lone surrogate such as \\ud800)")


def check_json_body(body: bytes) -> None:
    """Raise InvalidText for a JSON body that is not UTF-8 or holds an unencodable string.

    Parsing a second time is paid only by bodies that contain a surrogate escape; a body that is not
    JSON is left to the route, which reports that itself.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidText(f"the body is not valid UTF-8 (byte {exc.start})") from None
    if not _SURROGATE_ESCAPE.search(text):
        return
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return
    check_text(data)
