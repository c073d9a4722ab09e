"""Coding questions: what a sandboxed run returns, and how test outcomes become a score (pure)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class RunStatus(StrEnum):
    """How a whole sandboxed run ended."""

    PASSED = "passed"  # every case returned and matched
    FAILED = "failed"  # the run ended normally but some case errored or mismatched
    TIMEOUT = "timeout"  # CPU-time or wall-time limit
    MEMORY = "memory"  # address-space limit (MemoryError or killed for it)
    OUTPUT_LIMIT = "output_limit"  # printed more than the output limit
    CRASHED = "crashed"  # the interpreter died (signal, os._exit, no result)
    ERROR = "error"  # the code did not load (syntax error, missing entry point)


@dataclass(frozen=True, slots=True)
class CodeCase:
    """One call of the candidate's entry point; `args` are plain values and numpy arrays."""

    group: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CodeLimits:
    cpu_seconds: float = 5.0
    wall_seconds: float = 10.0
    memory_bytes: int = 512 * 1024 * 1024
    processes: int = 16
    output_bytes: int = 64 * 1024


@dataclass(frozen=True, slots=True)
class CaseResult:
    """What one call returned: `value` when it returned, else `error` (exception type and message)."""

    ok: bool
    value: Any = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RunResult:
    status: RunStatus
    cases: tuple[CaseResult, ...]  # one per requested case that ran (fewer when the run died)
    output: str  # what the code printed, truncated to the output limit
    detail: str = ""
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class GroupOutcome:
    """A test group's verdict; `reason` never contains hidden inputs."""

    name: str
    hidden: bool
    weight: float
    passed: int
    total: int
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.total > 0 and self.passed == self.total


def weighted_score(groups: list[GroupOutcome]) -> float:
    """Share of the total weight earned, each group counting by its share of cases passed (0..1)."""
    total = sum(g.weight for g in groups)
    if total <= 0:
        return 0.0
    earned = sum(g.weight * (g.passed / g.total) for g in groups if g.total)
    return round(earned / total, 4)


Checker = Callable[[tuple[Any, ...], Any, Any], "str | None"]


@dataclass(frozen=True, slots=True)
class TestGroup:
    """A group of cases; `concept` states what passing it shows, `followup` asks about it when it fails."""

    name: str
    hidden: bool
    weight: float
    about: str
    concept: str = ""
    followup: str = ""


@dataclass(frozen=True, slots=True)
class CodeProblem:
    id: str
    title: str
    topic: str
    entry: str
    statement: str
    starter: str
    tolerance: float
    groups: tuple[TestGroup, ...]
    rubric: tuple[str, ...]
    reference: Callable[..., Any]
    cases: dict[str, list[CodeCase]]
    check: Checker | None
    source: str  # the .py file: reference solution and cases

    def group(self, name: str) -> TestGroup:
        return next(g for g in self.groups if g.name == name)
