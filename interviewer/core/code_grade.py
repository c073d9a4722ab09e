"""A coding question's grade (pure): its test groups and its written explanation as one rubric.

The rubric of a code problem has one criterion per test group (`tests-<group>`, weighted by the
group's weight) and one per line of the problem's explanation rubric (`explain-<n>`). The tests
share `1 - EXPLANATION_SHARE` of the weight and the explanation `EXPLANATION_SHARE`, so a correct
program with no explanation scores 70 and a perfect explanation of a program that fails every test 30.
"""

from __future__ import annotations

from dataclasses import replace

from interviewer.core import scoring
from interviewer.core.code import CodeProblem, GroupOutcome, RunStatus
from interviewer.core.models import Criterion, CriterionResult, Difficulty, Grade, Question, Rubric, Verdict

EXPLANATION_SHARE = 0.3
RUBRIC_VERSION = 1


TESTS_PREFIX = "tests-"
CODE_TAG = "code"  # the tag of a coding problem seen as a Question


def _group_id(name: str) -> str:
    return f"{TESTS_PREFIX}{name}"


def is_test_criterion(criterion_id: str) -> bool:
    """Whether a code rubric's criterion is a test group (not a point of the explanation)."""
    return criterion_id.startswith(TESTS_PREFIX)


def _weights(problem: CodeProblem) -> tuple[dict[str, float], float]:
    """Each group's share of the whole weight, and each explanation criterion's."""
    tests_share = 1.0 - EXPLANATION_SHARE if problem.rubric else 1.0
    total = sum(g.weight for g in problem.groups)
    groups = {g.name: round(tests_share * g.weight / total, 4) for g in problem.groups}
    each = round(EXPLANATION_SHARE / len(problem.rubric), 4) if problem.rubric else 0.0
    return groups, each


def explanation_rubric(problem: CodeProblem) -> Rubric:
    """The rubric the judge grades the written explanation against."""
    _, each = _weights(problem)
    criteria = tuple(
        Criterion(id=f"explain-{n}", concept=line, statement=line, weight=each,
                  why="an interviewer expects you to explain this, not only to code it")
        for n, line in enumerate(problem.rubric, start=1))
    return Rubric(problem.id, RUBRIC_VERSION, criteria)


def code_rubric(problem: CodeProblem) -> Rubric:
    """The whole rubric: one criterion per test group, then the explanation's criteria."""
    groups, _ = _weights(problem)
    tests = tuple(
        Criterion(id=_group_id(g.name),
                  concept=f"{'hidden' if g.hidden else 'public'} tests: {g.name} ({g.about})",
                  statement=g.concept or g.about, weight=groups[g.name], probe=g.followup,
                  why=f"these tests check {g.about}" if g.about else "the code must pass these tests")
        for g in problem.groups)
    return Rubric(problem.id, RUBRIC_VERSION, tests + explanation_rubric(problem).criteria)


def code_question(problem: CodeProblem) -> Question:
    """A code problem as a Question (what transcripts, grades and the judge need of it)."""
    return Question(
        id=problem.id, text=problem.statement.strip(), area=problem.topic,
        difficulty=Difficulty.MEDIUM, companies=(), sample_answer="\n".join(problem.rubric),
        tags=(CODE_TAG,), rubric=code_rubric(problem))


def group_result(outcome: GroupOutcome, weight: float) -> CriterionResult:
    """A test group as a criterion: met when every case passed, partial when some did."""
    if outcome.ok:
        verdict, credit = Verdict.MET, 1.0
    elif outcome.passed == 0:
        verdict, credit = Verdict.MISSED, 0.0
    else:
        verdict, credit = Verdict.PARTIAL, outcome.passed / outcome.total
    kind = "hidden" if outcome.hidden else "public"
    note = f"{kind} tests {outcome.passed}/{outcome.total} passed"
    if outcome.reason:
        note += f"; {outcome.reason}"
    return CriterionResult(_group_id(outcome.name), f"{kind} tests: {outcome.name}", verdict, weight,
                           confidence=1.0, note=note, credit=credit)


def _tests_feedback(status: RunStatus, outcomes: tuple[GroupOutcome, ...]) -> str:
    failed = [o for o in outcomes if not o.ok]
    passed = len(outcomes) - len(failed)
    text = f"Tests: {passed} of {len(outcomes)} groups passed"
    if status not in (RunStatus.PASSED, RunStatus.FAILED):
        text += f" (the run ended: {status.value})"
    if failed:
        text += "; failed: " + "; ".join(
            f"{o.name} ({'hidden' if o.hidden else 'public'}): {o.reason or 'failed'}" for o in failed)
    return text + "."


def combine(problem: CodeProblem, status: RunStatus, outcomes: tuple[GroupOutcome, ...],
            explanation: Grade | None) -> Grade:
    """One grade from the test outcomes and the judge's grade of the explanation (None: none given)."""
    groups, each = _weights(problem)
    results = [group_result(o, groups[o.name]) for o in outcomes]
    expl_rubric = explanation_rubric(problem)
    if explanation is None:
        results += [CriterionResult(c.id, c.concept, Verdict.MISSED, c.weight, confidence=1.0,
                                    note="no written explanation was given", credit=0.0)
                    for c in expl_rubric.criteria]
        feedback_tail, judge_name = "No written explanation was given.", "tests"
    else:
        results += [replace(r, weight=each) for r in explanation.criteria]
        feedback_tail, judge_name = explanation.feedback, f"tests+{explanation.judge}"
    reason = "" if status in (RunStatus.PASSED, RunStatus.FAILED) else status.value
    return Grade(
        question_id=problem.id, score=scoring.score(results), criteria=tuple(results),
        judge=judge_name, feedback=f"{_tests_feedback(status, outcomes)} {feedback_tail}".strip(),
        provenance=explanation.provenance if explanation else None,
        flags=explanation.flags if explanation else (), reason=reason,
    )
