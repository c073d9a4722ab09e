"""Coding questions in the pure interview state machine, their planning and their combined grade."""

from __future__ import annotations

from interviewer.core import interview
from interviewer.core.code import CodeCase, CodeProblem, GroupOutcome, RunStatus
from interviewer.core.code import TestGroup as Group
from interviewer.core.code_grade import code_question, code_rubric, combine
from interviewer.core.models import CriterionResult, Grade, Verdict
from interviewer.core.planning import planned_code, with_code
from interviewer.core.state import (
    AcceptAnswer,
    AnswerKind,
    AnswerSubmitted,
    AskQuestion,
    CodeRunRequested,
    EmitGrade,
    Finish,
    FollowUpChosen,
    GradeAnswer,
    GradeReady,
    InterviewConfig,
    InterviewState,
    Phase,
    PlannedQuestion,
    Reject,
    RunCode,
    SelectFollowUp,
)


def make_problem(pid: str = "code-x", topic: str = "architecture") -> CodeProblem:
    groups = (Group("basic", False, 1.0, "small"), Group("edge", True, 3.0, "edge cases"))
    return CodeProblem(
        id=pid, title="X", topic=topic, entry="f", statement="Implement f.", starter="def f(x):\n    ...\n",
        tolerance=1e-6, groups=groups, rubric=("why one", "why two"), reference=lambda x: x,
        cases={"basic": [CodeCase("basic", (1,))], "edge": [CodeCase("edge", (2,)), CodeCase("edge", (3,))]},
        check=None, source="")


def text_q(i: int) -> PlannedQuestion:
    return PlannedQuestion(f"q{i}", f"Question {i}?", "inference", "medium", ())


def code_state(**cfg: object) -> InterviewState:
    plan = (planned_code(make_problem()), text_q(1))
    state, actions = interview.start("s", InterviewConfig(num_questions=2, max_followups=1, **cfg),  # type: ignore[arg-type]
                                     plan, 0.0)
    ask = actions[0]
    assert isinstance(ask, AskQuestion) and ask.turn.kind_of_answer is AnswerKind.CODE
    return state


def test_code_run_asks_for_a_run_and_changes_nothing() -> None:
    state = code_state()
    after, actions = interview.step(state, CodeRunRequested("def f(x):\n    return x\n", 1.0))
    assert after is state
    assert actions == [RunCode(0, "code-x", "def f(x):\n    return x\n")]
    _, refused = interview.step(state, CodeRunRequested("   ", 1.0))
    assert isinstance(refused[0], Reject) and refused[0].code == "empty_answer"
    _, refused = interview.step(state, CodeRunRequested("x" * 70000, 1.0))
    assert isinstance(refused[0], Reject) and refused[0].code == "answer_too_long"


def test_code_answer_needs_code_and_takes_an_optional_explanation() -> None:
    state = code_state()
    _, refused = interview.step(state, AnswerSubmitted("only words", 1.0))
    assert isinstance(refused[0], Reject) and refused[0].code == "empty_answer"
    after, actions = interview.step(state, AnswerSubmitted(None, 1.0, code="def f(x): return x"))
    assert after.phase is Phase.GRADING and after.turns[0].code == "def f(x): return x"
    assert after.turns[0].answer == ""
    assert isinstance(actions[0], AcceptAnswer)
    assert actions[1] == GradeAnswer(0, "code-x", "", None, code="def f(x): return x")
    _, actions = interview.step(state, AnswerSubmitted("because", 1.0, code="def f(x): return x"))
    assert actions[1] == GradeAnswer(0, "code-x", "because", None, code="def f(x): return x")


def test_a_written_question_refuses_code() -> None:
    state = code_state()
    state, _ = interview.step(state, AnswerSubmitted(None, 1.0, code="def f(x): return x"))
    grade = combine(make_problem(), RunStatus.FAILED, (
        GroupOutcome("basic", False, 1.0, 1, 1), GroupOutcome("edge", True, 3.0, 0, 2, "case 1: wrong")), None)
    state, actions = interview.step(state, GradeReady(0, grade, 2.0))
    assert isinstance(actions[0], EmitGrade) and isinstance(actions[-1], SelectFollowUp)
    state, actions = interview.step(state, FollowUpChosen(0, 2.5))  # no probe found: go on
    assert isinstance(actions[-1], AskQuestion) and actions[-1].turn.question_id == "q1"
    for event in (AnswerSubmitted("text", 3.0, code="x = 1"), CodeRunRequested("x = 1", 3.0)):
        after, refused = interview.step(state, event)
        assert after is state
        assert isinstance(refused[0], Reject) and refused[0].code == "invalid_message"
    state, actions = interview.step(state, AnswerSubmitted("a written answer", 3.0))
    assert isinstance(actions[1], GradeAnswer) and actions[1].code is None


def test_combined_grade_weights_tests_and_explanation() -> None:
    p = make_problem()
    rubric = code_rubric(p)
    assert [c.id for c in rubric.criteria] == ["tests-basic", "tests-edge", "explain-1", "explain-2"]
    assert abs(sum(c.weight for c in rubric.criteria) - 1.0) < 1e-3
    assert code_question(p).rubric == rubric
    all_ok = (GroupOutcome("basic", False, 1.0, 1, 1), GroupOutcome("edge", True, 3.0, 2, 2))
    no_words = combine(p, RunStatus.PASSED, all_ok, None)
    assert no_words.score == 70 and no_words.judge == "tests"
    assert all(r.verdict is Verdict.MISSED for r in no_words.criteria[2:])
    explained = Grade("code-x", 100, (CriterionResult("explain-1", "why one", Verdict.MET, 0.5),
                                      CriterionResult("explain-2", "why two", Verdict.MET, 0.5)),
                      "offline", "Good.")
    assert combine(p, RunStatus.PASSED, all_ok, explained).score == 100
    half = (GroupOutcome("basic", False, 1.0, 1, 1),
            GroupOutcome("edge", True, 3.0, 1, 2, "case 2: values differ"))
    g = combine(p, RunStatus.FAILED, half, explained)
    edge = next(r for r in g.criteria if r.criterion_id == "tests-edge")
    assert edge.verdict is Verdict.PARTIAL and "values differ" in edge.note
    assert 0 < g.score < 100 and "edge (hidden)" in g.feedback
    died = combine(p, RunStatus.TIMEOUT, (GroupOutcome("basic", False, 1.0, 0, 1, "case 1: timeout"),
                                          GroupOutcome("edge", True, 3.0, 0, 2)), None)
    assert died.score == 0 and died.reason == "timeout"


def test_with_code_puts_one_problem_last_on_the_topics() -> None:
    problems = [make_problem("code-a", "architecture"), make_problem("code-b", "inference")]
    plan = (text_q(1), text_q(2))
    cfg = InterviewConfig(num_questions=2, topics=("inference",), include_code=True)
    out = with_code(plan, problems, cfg, seed=1)
    assert [q.question_id for q in out] == ["q1", "code-b"]
    assert out[-1].kind_of_answer is AnswerKind.CODE
    assert with_code(out, problems, cfg, seed=2) == out  # one coding question at most
    short = with_code((text_q(1),), problems, InterviewConfig(num_questions=3, include_code=True), seed=1)
    assert len(short) == 2 and short[-1].kind_of_answer is AnswerKind.CODE


def test_finishing_after_a_code_question() -> None:
    state, _ = interview.start("s", InterviewConfig(num_questions=1), (planned_code(make_problem()),), 0.0)
    state, _ = interview.step(state, AnswerSubmitted(None, 1.0, code="def f(x): return x"))
    grade = combine(make_problem(), RunStatus.PASSED, (
        GroupOutcome("basic", False, 1.0, 1, 1), GroupOutcome("edge", True, 3.0, 2, 2)), None)
    state, actions = interview.step(state, GradeReady(0, grade, 2.0))
    assert isinstance(actions[-1], Finish) and state.summary is not None and state.summary.score == 70


def test_a_code_answer_is_followed_up_on_its_failing_test_groups_only() -> None:
    state = code_state()
    state, _ = interview.step(state, AnswerSubmitted(None, 1.0, code="def f(x): return x"))
    explained = Grade("code-x", 0, (CriterionResult("explain-1", "why one", Verdict.MISSED, 0.5),
                                    CriterionResult("explain-2", "why two", Verdict.PARTIAL, 0.5)),
                      "offline", "")
    half = (GroupOutcome("basic", False, 1.0, 0, 1, "case 1: wrong"),
            GroupOutcome("edge", True, 3.0, 1, 2, "case 2: values differ"))
    state, actions = interview.step(state, GradeReady(0, combine(make_problem(), RunStatus.FAILED, half,
                                                                 explained), 2.0))
    select = actions[-1]
    assert isinstance(select, SelectFollowUp)
    # missed before partial, then by weight; the explanation's missed points are not candidates
    assert select.candidates == ("tests-basic", "tests-edge")
    state, actions = interview.step(state, FollowUpChosen(0, 3.0, "tests-basic", "basic", "Why?", "code-x"))
    follow = actions[-1]
    assert isinstance(follow, AskQuestion) and follow.turn.kind_of_answer is AnswerKind.TEXT
    assert follow.turn.criterion_id == "tests-basic" and follow.turn.parent_question_id == "code-x"


def test_the_rubric_carries_each_groups_concept_and_follow_up() -> None:
    groups = (Group("basic", False, 1.0, "small", "f returns its input", "What does f return?"),
              Group("edge", True, 3.0, "edge cases"))
    p = make_problem()
    rubric = code_rubric(CodeProblem(**{**{f: getattr(p, f) for f in p.__slots__}, "groups": groups}))
    basic, edge = rubric.criteria[:2]
    assert (basic.statement, basic.probe) == ("f returns its input", "What does f return?")
    assert (edge.statement, edge.probe) == ("edge cases", "")  # without them: the group's `about`
