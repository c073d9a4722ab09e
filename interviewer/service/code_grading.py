"""Runs a candidate's code for a bank problem in the sandbox and turns the outcome into a grade."""

from __future__ import annotations

from dataclasses import dataclass

from interviewer.core.code import CodeLimits, CodeProblem, GroupOutcome, RunStatus, weighted_score
from interviewer.core.code_check import compare
from interviewer.core.code_grade import code_question, combine, explanation_rubric
from interviewer.core.models import Grade, Question
from interviewer.core.ports import FeedbackSink
from interviewer.errors import AnswerTooLong
from interviewer.service.container import Services
from interviewer.service.grading import judge
from interviewer.service.ports import CodeRunner


@dataclass(frozen=True, slots=True)
class CodeGrade:
    problem_id: str
    status: RunStatus  # how the run ended (passed when every run case matched)
    score: float  # 0..1, weighted share of tests passed
    groups: tuple[GroupOutcome, ...]
    output: str
    detail: str


async def grade_code(
    runner: CodeRunner, problem: CodeProblem, code: str, *, include_hidden: bool,
    limits: CodeLimits | None = None,
) -> CodeGrade:
    """Public groups only (`code.run`, `POST /v1/code/run`) or all groups (grading). Hidden groups'
    reasons carry no input values: only the shape/value verdict or the exception type."""
    groups = [g for g in problem.groups if include_hidden or not g.hidden]
    cases = [c for g in groups for c in problem.cases[g.name]]
    result = await runner.run(code=code, entry=problem.entry, cases=cases, limits=limits or CodeLimits())
    outcomes: list[GroupOutcome] = []
    at = 0
    all_ok = True
    for group in groups:
        passed, reason = 0, ""
        for i, case in enumerate(problem.cases[group.name]):
            index = at + i
            if index >= len(result.cases):
                why = result.status.value if result.status is not RunStatus.FAILED else "did not run"
                reason = reason or f"case {i + 1}: {why}" + (f" ({result.detail})" if result.detail else "")
                continue
            ran = result.cases[index]
            try:
                want = problem.reference(*case.args, **case.kwargs)
            except Exception as exc:
                expected = type(exc).__name__
                if not ran.ok and (ran.error or "").split(":", 1)[0] == expected:
                    passed += 1
                else:
                    reason = reason or f"case {i + 1}: expected {expected} to be raised"
                continue
            if not ran.ok:
                error = ran.error or "error"
                shown = error.split(":", 1)[0] if group.hidden else error
                reason = reason or f"case {i + 1}: raised {shown}"
                continue
            why_not = (problem.check(case.args, ran.value, want) if problem.check
                       else compare(ran.value, want, problem.tolerance))
            if why_not:
                reason = reason or f"case {i + 1}: {why_not}"
            else:
                passed += 1
        total = len(problem.cases[group.name])
        all_ok = all_ok and passed == total
        outcomes.append(GroupOutcome(group.name, group.hidden, group.weight, passed, total, reason))
        at += total
    status = result.status
    if status in (RunStatus.PASSED, RunStatus.FAILED):
        status = RunStatus.PASSED if all_ok else RunStatus.FAILED
    return CodeGrade(problem.id, status, weighted_score(outcomes), tuple(outcomes), result.output,
                     result.detail)


async def grade_code_answer(
    svc: Services, *, problem: CodeProblem, code: str, explanation: str,
    on_feedback: FeedbackSink | None = None,
) -> Grade:
    """A code answer's grade: all test groups (weighted) in the sandbox, and the configured judge on
    the written explanation against the problem's explanation rubric (core.code_grade)."""
    tests = await grade_code(svc.code_runner, problem, code, include_hidden=True)
    written: Grade | None = None
    if explanation.strip():
        written = await judge(svc, question=code_question(problem), rubric=explanation_rubric(problem),
                              answer=explanation, on_feedback=on_feedback, check_topic=False)
    return combine(problem, tests.status, tests.groups, written)


async def grade_code_submission(
    svc: Services, *, problem_id: str, code: str, explanation: str
) -> tuple[Question, Grade]:
    """`POST /v1/grade` with code: a bank coding problem's answer, graded as in an interview."""
    limit = svc.settings.max_answer_chars
    if len(explanation) > limit:
        raise AnswerTooLong(f"explanations are limited to {limit} characters (got {len(explanation)})")
    problem = svc.code_bank.get(problem_id)
    grade = await grade_code_answer(svc, problem=problem, code=code, explanation=explanation)
    return code_question(problem), grade
