"""Every bank problem: its reference passes all groups in the sandbox; a wrong solution fails one."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from interviewer.adapters.bank.code_problems import CodeBank
from interviewer.adapters.sandbox.bwrap import BwrapRunner
from interviewer.core.code import RunStatus
from interviewer.errors import BankError
from interviewer.service.code_grading import grade_code
from interviewer.settings import Settings
from interviewer.wiring import build_code_bank
from tests.code.wrong_solutions import WRONG
from tests.conftest import REPO

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


def test_a_problem_without_hidden_tests_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        "id: p\ntitle: t\ntopic: x\nentry: f\nstatement: s\nstarter: s\n"
        "groups:\n  - {name: basic, hidden: false, weight: 1}\n", encoding="utf-8")
    (tmp_path / "p.py").write_text("def reference(x):\n    return x\n\ndef cases():\n    return {'basic': [(1,)]}\n",
                                   encoding="utf-8")
    with pytest.raises(BankError, match="hidden"):
        CodeBank(tmp_path)


async def test_hidden_failures_show_no_exception_message(runner: BwrapRunner) -> None:
    code = "def rope(x, positions, base=10000.0):\n    raise ValueError(f'secret {x.tolist()}')\n"
    grade = await grade_code(runner, BANK.get("code-rope"), code, include_hidden=True)
    public = next(g for g in grade.groups if not g.hidden)
    hidden = [g for g in grade.groups if g.hidden]
    assert "secret" in public.reason
    assert hidden and all(g.reason.endswith("raised ValueError") for g in hidden if not g.ok)


def test_a_group_without_a_follow_up_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        "id: p\ntitle: t\ntopic: x\nentry: f\nstatement: s\nstarter: s\ngroups:\n"
        "  - {name: basic, hidden: false, weight: 1, concept: f returns x, followup: 'What does f return?'}\n"
        "  - {name: edge, hidden: true, weight: 1, concept: f returns x}\n", encoding="utf-8")
    (tmp_path / "p.py").write_text(
        "def reference(x):\n    return x\n\ndef cases():\n    return {'basic': [(1,)], 'edge': [(2,)]}\n",
        encoding="utf-8")
    with pytest.raises(BankError, match=r"\['edge'\] need a `concept` and a `followup`"):
        CodeBank(tmp_path)


def test_every_group_states_its_concept_and_follow_up() -> None:
    for problem in BANK.all():
        for g in problem.groups:
            assert len(g.concept.split()) >= 8 and g.followup.endswith("?"), (problem.id, g.name)


def test_the_code_bank_is_read_from_the_configured_bank_root(tmp_path: Path) -> None:
    """As in the image: the package is installed apart from the bank, which lives under /app."""
    code = tmp_path / "questions" / "code"
    code.mkdir(parents=True)
    for suffix in (".yaml", ".py"):
        (code / f"rope{suffix}").write_bytes((REPO / "questions" / "code" / f"rope{suffix}").read_bytes())
    settings = Settings(_env_file=None, builtin_bank=False, bank_paths=[str(tmp_path)])  # type: ignore[call-arg]
    assert [p.id for p in build_code_bank(settings).all()] == ["code-rope"]
    assert len(build_code_bank(Settings(_env_file=None)).all()) == len(IDS)  # type: ignore[call-arg]
