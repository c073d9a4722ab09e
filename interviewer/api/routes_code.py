"""Coding problems: read a problem, run code against its public tests, grade it on all tests."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from interviewer.api.deps import Grader, QuestionReader, ServicesDep
from interviewer.core.code import CodeProblem
from interviewer.schemas.rest import errors
from interviewer.service.code_grading import CodeGrade, grade_code
from interviewer.service.ports import CodeProblems, CodeRunner

router = APIRouter(prefix="/v1/code", tags=["code"])
MAX_CODE_CHARS = 65536


class CodeGroupRead(BaseModel):
    name: str
    hidden: bool
    weight: float
    about: str


class CodeProblemRead(BaseModel):
    id: str
    title: str
    topic: str
    entry: str
    statement: str
    starter: str
    groups: list[CodeGroupRead] = Field(description="Hidden groups are listed by name and topic only")


class CodeSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    problem_id: str = Field(max_length=200)
    code: str = Field(max_length=MAX_CODE_CHARS, description="Python source defining the entry function")


class CodeGroupResult(BaseModel):
    name: str
    hidden: bool
    weight: float
    passed: int
    total: int
    ok: bool
    reason: str = Field(description="Why the group failed; never shows a hidden test's inputs")


class CodeResult(BaseModel):
    problem_id: str
    status: str = Field(description="passed | failed | timeout | memory | output_limit | crashed | error")
    score: float = Field(description="Weighted share of the run groups passed, 0..1")
    groups: list[CodeGroupResult]
    output: str = Field(description="What the code printed (truncated to the output limit)")
    detail: str


def _parts(svc: ServicesDep) -> tuple[CodeProblems, CodeRunner]:
    return svc.code_bank, svc.code_runner


def _problem(p: CodeProblem) -> CodeProblemRead:
    return CodeProblemRead(
        id=p.id, title=p.title, topic=p.topic, entry=p.entry, statement=p.statement, starter=p.starter,
        groups=[CodeGroupRead(name=g.name, hidden=g.hidden, weight=g.weight, about=g.about)
                for g in p.groups])


def _result(g: CodeGrade) -> CodeResult:
    return CodeResult(
        problem_id=g.problem_id, status=g.status.value, score=g.score, output=g.output, detail=g.detail,
        groups=[CodeGroupResult(name=o.name, hidden=o.hidden, weight=o.weight, passed=o.passed,
                                total=o.total, ok=o.ok, reason=o.reason) for o in g.groups])


@router.get("/problems", response_model=list[CodeProblemRead], responses=errors())
async def problems(svc: ServicesDep, principal: QuestionReader) -> list[CodeProblemRead]:
    bank, _ = _parts(svc)
    return [_problem(p) for p in bank.all()]


@router.get("/problems/{problem_id}", response_model=CodeProblemRead, responses=errors(404))
async def problem(problem_id: str, svc: ServicesDep, principal: QuestionReader) -> CodeProblemRead:
    bank, _ = _parts(svc)
    return _problem(bank.get(problem_id))


@router.post("/run", response_model=CodeResult, responses=errors(404, 413, 503))
async def run(body: CodeSubmit, svc: ServicesDep, principal: Grader) -> CodeResult:
    """Run the code in the sandbox against the problem's public tests only."""
    bank, runner = _parts(svc)
    return _result(await grade_code(runner, bank.get(body.problem_id), body.code, include_hidden=False))


@router.post("/grade", response_model=CodeResult, responses=errors(404, 413, 503))
async def grade(body: CodeSubmit, svc: ServicesDep, principal: Grader) -> CodeResult:
    """Grade the code on public and hidden tests; hidden failures give a reason, not the inputs."""
    bank, runner = _parts(svc)
    return _result(await grade_code(runner, bank.get(body.problem_id), body.code, include_hidden=True))
