"""The vendored browser files are exactly the bytes scripts/vendor.lock pins (no npm needed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from tests.conftest import REPO


def load_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("vendor_frontend", REPO / "scripts" / "vendor_frontend.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["vendor_frontend"] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def test_vendored_files_match_the_lock(tmp_path: Path) -> None:
    mod = load_script()
    assert mod.check() == []
    names = {e.dest for e in mod.entries()}
    assert {"frontend/vendor/uPlot.esm.js", "tests/browser/vendor/axe.min.js"} <= names
    # a changed byte is caught
    for e in mod.entries():
        dest = tmp_path / e.dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes((REPO / e.dest).read_bytes())
    first = mod.entries()[0]
    (tmp_path / first.dest).write_bytes((REPO / first.dest).read_bytes() + b"\n")
    assert mod.check(tmp_path) == [f"{first.dest}: sha256 differs from scripts/vendor.lock"]
