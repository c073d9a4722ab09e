"""Coding problems from questions/code/: `<name>.yaml` (statement, starter, groups, rubric) next to
`<name>.py` (reference solution, test cases, optional checker). Trusted repository code: the reference
and the checker run in the server; only candidate code goes to the sandbox. Format: docs/bank-format.md."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import yaml

from interviewer import PACKAGE_DIR
from interviewer.core.code import CodeCase, CodeProblem, TestGroup
from interviewer.errors import BankError, NotFound

DEFAULT_DIR = PACKAGE_DIR.parent / "questions" / "code"


def _load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"interviewer_code_problem_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise BankError(f"{path.name}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_problem(yaml_path: Path) -> CodeProblem:
    data = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    where = yaml_path.name
    try:
        groups = tuple(
            TestGroup(str(g["name"]), bool(g["hidden"]), float(g["weight"]), str(g.get("about", "")),
                      str(g.get("concept", "")).strip(), str(g.get("followup", "")).strip())
            for g in data["groups"])
        module = _load_module(yaml_path.with_suffix(".py"))
        raw = module.cases()
        cases = {
            name: [CodeCase(name, tuple(args)) for args in raw[name]] for name in (g.name for g in groups)
        }
        problem = CodeProblem(
            id=str(data["id"]), title=str(data["title"]), topic=str(data["topic"]), entry=str(data["entry"]),
            statement=str(data["statement"]), starter=str(data["starter"]),
            tolerance=float(data.get("tolerance", 1e-6)), groups=groups,
            rubric=tuple(str(r) for r in data.get("rubric", [])),
            reference=module.reference, cases=cases, check=getattr(module, "check", None),
            source=yaml_path.with_suffix(".py").read_text(encoding="utf-8"),
        )
    except (KeyError, TypeError, ValueError, AttributeError, FileNotFoundError) as exc:
        raise BankError(f"{where}: {type(exc).__name__}: {exc}") from exc
    if not any(not g.hidden for g in groups) or not any(g.hidden for g in groups):
        raise BankError(f"{where}: needs at least one public and one hidden test group")
    if any(not cases[g.name] for g in groups) or any(g.weight <= 0 for g in groups):
        raise BankError(f"{where}: every group needs cases and a positive weight")
    bare = [g.name for g in groups if not (g.concept and g.followup)]
    if bare:
        raise BankError(f"{where}: groups {bare} need a `concept` and a `followup` (the follow-up "
                        "question asked when the group fails)")
    return problem


class CodeBank:
    def __init__(self, directory: Path = DEFAULT_DIR) -> None:
        self._problems: dict[str, CodeProblem] = {}
        for path in sorted(directory.glob("*.yaml")):
            problem = load_problem(path)
            if problem.id in self._problems:
                raise BankError(f"{path.name}: duplicate id {problem.id}")
            self._problems[problem.id] = problem

    def get(self, problem_id: str) -> CodeProblem:
        try:
            return self._problems[problem_id]
        except KeyError:
            raise NotFound(f"no coding problem {problem_id!r}") from None

    def all(self) -> Sequence[CodeProblem]:
        return list(self._problems.values())
