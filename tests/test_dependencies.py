"""What a clean install and a new operator need: every import declared, every setting documented."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib

from tests.conftest import REPO

OWN = {"interviewer", "tests", "__future__"}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(*groups: str) -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for group in groups:
        specs += project["optional-dependencies"][group]
    return {norm(re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0]) for spec in specs}


def imported(*roots: str) -> dict[str, str]:
    """Top-level third-party modules imported under `roots`, each with one file that imports it."""
    found: dict[str, str] = {}
    for root in roots:
        for path in sorted((REPO / root).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0
                         and node.module else [])
                for name in names:
                    top = name.split(".")[0]
                    sibling = (path.parent / f"{top}.py").exists()  # a script beside it (bench/)
                    if top not in sys.stdlib_module_names and top not in OWN and not sibling:
                        found.setdefault(top, str(path.relative_to(REPO)))
    return found


def undeclared(modules: dict[str, str], allowed: set[str]) -> list[str]:
    dists = importlib.metadata.packages_distributions()
    return [f"{module} (imported by {where}; distributions {dists.get(module)})"
            for module, where in sorted(modules.items())
            if not any(norm(d) in allowed for d in dists.get(module, []))]


def test_the_package_and_its_scripts_import_only_declared_dependencies() -> None:
    assert undeclared(imported("interviewer", "scripts", "bench", "examples"), declared()) == []


def test_the_tests_import_only_declared_dependencies_and_dev_extras() -> None:
    assert undeclared(imported("tests"), declared("dev")) == []


def test_every_setting_is_in_the_readme_table() -> None:
    from interviewer.settings import Settings

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [f"INTERVIEWER_{name.upper()}" for name in Settings.model_fields
               if f"| `INTERVIEWER_{name.upper()}` |" not in readme]
    assert missing == []
