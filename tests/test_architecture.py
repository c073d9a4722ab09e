"""The module contract: api -> service -> core <- adapters; the core imports no framework."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "interviewer"
FORBIDDEN_IN_CORE = {
    "fastapi", "starlette", "redis", "litellm", "faiss", "sentence_transformers", "torch",
    "uvicorn", "sqlite3", "yaml", "httpx", "websockets", "pydantic",
}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_imports_no_framework_and_no_outer_layer() -> None:
    bad = []
    for path in sorted((PKG / "core").glob("*.py")):
        for name in imports(path):
            top = name.split(".")[0]
            if top in FORBIDDEN_IN_CORE or name.startswith(
                ("interviewer.adapters", "interviewer.api", "interviewer.service", "interviewer.wiring")
            ):
                bad.append(f"{path.name} imports {name}")
    assert not bad, bad


def test_only_one_module_imports_litellm() -> None:
    users = [p.relative_to(PKG).as_posix() for p in PKG.rglob("*.py") if any(
        n.split(".")[0] == "litellm" for n in imports(p))]
    assert users == ["adapters/judge/llm_client.py"], users


def test_adapters_do_not_import_the_api() -> None:
    bad = [f"{p.name}: {n}" for p in (PKG / "adapters").rglob("*.py") for n in imports(p)
           if n.startswith("interviewer.api")]
    assert not bad, bad
