"""Every bank problem: its reference passes all groups in the sandbox; a wrong solution fails one."""

from __future__ import annotations

import textwrap

import pytest

from interviewer.adapters.code_bank import CodeBank
from interviewer.adapters.sandbox_bwrap import BwrapRunner
from interviewer.core.code import RunStatus
from interviewer.service.code_grading import grade_code
from tests.code.wrong_solutions import WRONG

BANK = CodeBank()
IDS = [p.id for p in BANK.all()]


def test_the_bank_has_at_least_twelve_problems() -> None:
    assert len(IDS) >= 12, IDS
    assert set(WRONG) == set(IDS)


def reference_source(problem_id: str) -> str:
    problem = BANK.get(problem_id)
    return problem.source + f"\n{problem.entry} = reference\n"


@pytest.mark.parametrize("problem_id", IDS)
async def test_reference_passes_every_group_in_the_sandbox(runner: BwrapRunner, problem_id: str) -> None:
    grade = await grade_code(runner, BANK.get(problem_id), reference_source(problem_id), include_hidden=True)
    assert grade.status is RunStatus.PASSED, grade
    assert grade.score == 1.0


@pytest.mark.parametrize("problem_id", IDS)
async def test_a_wrong_solution_fails_a_group(runner: BwrapRunner, problem_id: str) -> None:
    grade = await grade_code(runner, BANK.get(problem_id), textwrap.dedent(WRONG[problem_id]),
                             include_hidden=True)
    assert grade.status is RunStatus.FAILED, grade
    assert grade.score < 1.0
    failing = [g for g in grade.groups if not g.ok]
    assert failing and all(g.reason for g in failing)
