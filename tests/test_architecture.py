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


# The libraries that touch the world (network, disk formats, models, web frameworks): the service
# layer reaches them only through ports that adapters implement.
IO_LIBRARIES = {
    "redis", "httpx", "socket", "sqlite3", "psycopg", "psycopg_pool", "sqlalchemy", "alembic",
    "limits", "faiss", "torch", "sentence_transformers", "transformers", "litellm", "fastapi",
    "starlette", "uvicorn", "websockets", "yaml", "subprocess", "requests", "urllib.request",
}
# Who may import adapters: the composition root, and the command-line and offline tools that
# build their own (training, evaluation, drafting rubrics, database migrations).
MAY_IMPORT_ADAPTERS = (
    "wiring.py", "cli.py", "cli_bank.py", "cli_db.py", "cli_judge.py", "judge_train.py",
    "judge_train_cross.py", "rubric_drafts.py", "evaluation/", "migrations/", "adapters/",
)
MAX_LINES = 400


def _is_io(name: str) -> bool:
    return name.split(".")[0] in IO_LIBRARIES or name in IO_LIBRARIES


def test_the_service_layer_imports_no_io_library() -> None:
    bad = [f"{p.name} imports {n}" for p in sorted((PKG / "service").glob("*.py"))
           for n in imports(p) if _is_io(n)]
    assert not bad, bad


def test_only_the_composition_root_and_tools_import_adapters() -> None:
    bad = []
    for p in sorted(PKG.rglob("*.py")):
        rel = p.relative_to(PKG).as_posix()
        if rel.startswith(MAY_IMPORT_ADAPTERS):
            continue
        bad += [f"{rel} imports {n}" for n in imports(p) if n.startswith("interviewer.adapters")]
    assert not bad, bad


def test_the_core_ports_are_the_ones_the_core_uses() -> None:
    """Store, event and admin ports live in service/ports.py: the core never sees them."""
    ports = imports(PKG / "core" / "ports.py")
    assert not any(n.startswith("interviewer.service") for n in ports)
    source = (PKG / "core" / "ports.py").read_text(encoding="utf-8")
    for name in ("SessionStore", "AdminStore", "SessionEvents", "CodeRunner", "WebhookOutbox"):
        assert f"class {name}" not in source, name


def test_no_module_of_the_package_is_over_400_lines() -> None:
    long = {p.relative_to(PKG).as_posix(): n for p in PKG.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long


def test_the_probe_catches_what_it_should() -> None:
    """The checks above would see a violation (they are not vacuous)."""
    assert _is_io("redis.asyncio") and _is_io("socket") and _is_io("urllib.request")
    assert not _is_io("urllib.parse") and not _is_io("interviewer.service.ports")
    assert any(n.startswith("interviewer.adapters") for n in imports(PKG / "wiring.py"))
