"""The interview state machine, driven without any server, store or model."""

from __future__ import annotations

from dataclasses import replace

import pytest

from interviewer.core import interview, scoring
from interviewer.core.models import CriterionResult, Evidence, Grade, TurnKind, Verdict
from interviewer.core.state import (
    AcceptAnswer,
    AnswerDelta,
    AnswerSubmitted,
    AskQuestion,
    EmitGrade,
    Ended,
    Finish,
    FollowUpChosen,
    GradeAnswer,
    GradeReady,
    InterviewConfig,
    InterviewState,
    Phase,
    PlannedQuestion,
    Reject,
    SelectFollowUp,
    Skipped,
    TurnStatus,
)


def make_plan(n: int = 3) -> tuple[PlannedQuestion, ...]:
    topics = ["architecture", "inference", "alignment", "training"]
    return tuple(
        PlannedQuestion(f"q{i}", f"Question {i}?", topics[i % len(topics)], "medium", ("OpenAI",))
        for i in range(n)
    )


def make_grade(question_id: str, verdicts: dict[str, Verdict]) -> Grade:
    n = len(verdicts)
    results = tuple(
        CriterionResult(cid, cid.upper(), v, round(1 / n, 6), Evidence(0, 3, "abc"))
        for cid, v in verdicts.items()
    )
    return Grade(question_id, scoring.score(results), results, "offline", "ok")


def started(n: int = 3, **cfg: object) -> InterviewState:
    state, actions = interview.start("s", InterviewConfig(num_questions=n, **cfg), make_plan(n), 0.0)  # type: ignore[arg-type]
    assert isinstance(actions[0], AskQuestion)
    return state


def answer_and_grade(state: InterviewState, verdicts: dict[str, Verdict], text: str = "an answer") -> tuple[InterviewState, list]:  # type: ignore[type-arg]
    state, actions = interview.step(state, AnswerSubmitted(text, 1.0))
    grade_action = next(a for a in actions if isinstance(a, GradeAnswer))
    grade = make_grade(grade_action.question_id, verdicts)
    return interview.step(state, GradeReady(grade_action.turn_index, grade, 2.0))


def test_start_asks_first_question() -> None:
    state, actions = interview.start("s", InterviewConfig(), make_plan(2), 5.0)
    assert state.phase is Phase.ASKING
    ask = actions[0]
    assert isinstance(ask, AskQuestion) and ask.turn.question_id == "q0" and ask.total == 2
    assert ask.turn.main_index == 1 and ask.turn.kind is TurnKind.MAIN


def test_empty_plan_is_refused() -> None:
    with pytest.raises(ValueError):
        interview.start("s", InterviewConfig(), (), 0.0)


def test_deltas_accumulate_and_submit_without_text_uses_them() -> None:
    state = started()
    state, _ = interview.step(state, AnswerDelta("Attention ", 0.1))
    state, _ = interview.step(state, AnswerDelta("scales.", 0.2))
    assert state.turns[0].draft == "Attention scales."
    state, actions = interview.step(state, AnswerSubmitted(None, 0.3))
    assert isinstance(actions[0], AcceptAnswer) and actions[0].chars == len("Attention scales.")
    assert isinstance(actions[1], GradeAnswer) and actions[1].answer == "Attention scales."
    assert state.phase is Phase.GRADING and state.turns[0].answer == "Attention scales."
    assert state.turns[0].status is TurnStatus.GRADING


def test_answer_is_in_state_before_grading_is_asked() -> None:
    state, actions = interview.step(started(), AnswerSubmitted("stored first", 1.0))
    assert [type(a) for a in actions] == [AcceptAnswer, GradeAnswer]
    assert state.turns[0].answer == "stored first"


def test_full_interview_without_followups_ends_with_summary() -> None:
    state = started(3, max_followups=0)
    all_met = {"a": Verdict.MET, "b": Verdict.MET}
    for i in range(3):
        state, actions = answer_and_grade(state, all_met if i else {"a": Verdict.MET, "b": Verdict.MISSED})
        assert isinstance(actions[0], EmitGrade)
        if i < 2:
            assert isinstance(actions[-1], AskQuestion) and actions[-1].turn.main_index == i + 2
    assert state.phase is Phase.FINISHED
    fin = actions[-1]
    assert isinstance(fin, Finish)
    assert fin.summary.score == round((50 + 100 + 100) / 3)
    assert fin.summary.answered == 3
    assert [g.criterion_id for g in fin.summary.gaps] == ["b"]
    assert set(fin.summary.per_topic) == {"architecture", "inference", "alignment"}


def test_missed_criterion_asks_for_followup_then_recovery_raises_parent() -> None:
    state = started(1, max_followups=1)
    state, actions = answer_and_grade(state, {"a": Verdict.MET, "b": Verdict.MISSED, "c": Verdict.PARTIAL})
    select = actions[-1]
    assert isinstance(select, SelectFollowUp)
    assert select.candidates == ("b", "c")  # missed before partial
    assert state.phase is Phase.SELECTING
    state, actions = interview.step(
        state, FollowUpChosen(select.turn_index, 3.0, "b", "B", "Tell me about B?", "q0"))
    ask = actions[0]
    assert isinstance(ask, AskQuestion) and ask.turn.kind is TurnKind.FOLLOWUP
    assert ask.turn.parent_question_id == "q0" and ask.turn.criterion_id == "b"
    before = state.turns[0].grade
    assert before is not None
    state, actions = answer_and_grade(state, {"b": Verdict.MET})
    parent = [a for a in actions if isinstance(a, EmitGrade) and a.turn_index == 0]
    assert parent, "the parent grade is re-emitted"
    new = parent[0].grade
    b = next(r for r in new.criteria if r.criterion_id == "b")
    assert b.recovered and b.verdict is Verdict.MISSED  # the original verdict stays visible
    assert new.score > before.score and new.revision == 2
    assert isinstance(actions[-1], Finish)
    assert [n.criterion_id for n in actions[-1].summary.recovered] == ["b"]


def test_followup_not_met_keeps_parent_score() -> None:
    state = started(1)
    state, actions = answer_and_grade(state, {"a": Verdict.MET, "b": Verdict.MISSED})
    state, _ = interview.step(state, FollowUpChosen(0, 3.0, "b", "B", "B?", "q0"))
    state, actions = answer_and_grade(state, {"b": Verdict.MISSED})
    assert not any(isinstance(a, EmitGrade) and a.turn_index == 0 for a in actions)
    assert state.turns[0].grade is not None and state.turns[0].grade.revision == 1


def test_max_followups_zero_never_selects() -> None:
    state = started(1, max_followups=0)
    _, actions = answer_and_grade(state, {"a": Verdict.MISSED})
    assert not any(isinstance(a, SelectFollowUp) for a in actions)
    assert isinstance(actions[-1], Finish)


def test_no_probe_found_moves_on() -> None:
    state = started(2)
    state, actions = answer_and_grade(state, {"a": Verdict.MISSED})
    state, actions = interview.step(state, FollowUpChosen(0, 3.0))
    assert isinstance(actions[0], AskQuestion) and actions[0].turn.question_id == "q1"


def test_probes_are_not_repeated_in_a_session() -> None:
    state = started(1, max_followups=2)
    state, actions = answer_and_grade(state, {"a": Verdict.MISSED, "b": Verdict.MISSED})
    state, _ = interview.step(state, FollowUpChosen(0, 3.0, "a", "A", "A?", "q0"))
    state, actions = answer_and_grade(state, {"a": Verdict.MISSED})
    select = actions[-1]
    assert isinstance(select, SelectFollowUp)
    assert select.candidates == ("b",)
    assert "q0/a" in select.exclude and "A?" in select.exclude


@pytest.mark.parametrize("event", [AnswerDelta("x", 0.0), AnswerSubmitted("x", 0.0), Skipped(0.0)])
def test_answering_while_grading_is_rejected_and_keeps_state(event: object) -> None:
    state, _ = interview.step(started(), AnswerSubmitted("first", 1.0))
    new, actions = interview.step(state, event)  # type: ignore[arg-type]
    assert new == state
    assert isinstance(actions[0], Reject) and actions[0].code == "invalid_state"


def test_too_long_draft_is_rejected_and_draft_kept() -> None:
    state = started(max_answer_chars=10)
    state, _ = interview.step(state, AnswerDelta("12345", 0.1))
    new, actions = interview.step(state, AnswerDelta("678901", 0.2))
    assert isinstance(actions[0], Reject) and actions[0].code == "answer_too_long"
    assert new.turns[0].draft == "12345"


def test_too_long_submit_and_empty_submit_are_rejected() -> None:
    state = started(max_answer_chars=10)
    _, actions = interview.step(state, AnswerSubmitted("x" * 11, 0.1))
    assert isinstance(actions[0], Reject) and actions[0].code == "answer_too_long"
    _, actions = interview.step(state, AnswerSubmitted("   ", 0.1))
    assert isinstance(actions[0], Reject) and actions[0].code == "empty_answer"


def test_skip_scores_zero_and_moves_on() -> None:
    state = started(2, max_followups=0)
    state, actions = interview.step(state, Skipped(1.0))
    assert state.turns[0].status is TurnStatus.SKIPPED
    assert isinstance(actions[0], AskQuestion) and actions[0].turn.question_id == "q1"
    state, actions = answer_and_grade(state, {"a": Verdict.MET})
    fin = actions[-1]
    assert isinstance(fin, Finish) and fin.summary.score == 50 and fin.summary.skipped == 1


def test_end_while_grading_waits_for_grade() -> None:
    state, _ = interview.step(started(3), AnswerSubmitted("x", 1.0))
    state, actions = interview.step(state, Ended(1.5))
    assert actions == [] and state.end_requested and state.phase is Phase.GRADING
    state, actions = interview.step(state, GradeReady(0, make_grade("q0", {"a": Verdict.MISSED}), 2.0))
    assert isinstance(actions[0], EmitGrade) and isinstance(actions[-1], Finish)
    assert not any(isinstance(a, SelectFollowUp) for a in actions)


def test_end_at_open_question_finishes_over_answered_only() -> None:
    state = started(3, max_followups=0)
    state, _ = answer_and_grade(state, {"a": Verdict.MET})
    state, actions = interview.step(state, Ended(5.0))
    fin = actions[0]
    assert isinstance(fin, Finish) and fin.summary.score == 100 and fin.summary.answered == 1


def test_events_after_finish_are_rejected() -> None:
    state, _ = interview.step(started(1), Ended(1.0))
    assert state.phase is Phase.FINISHED
    _, actions = interview.step(state, AnswerSubmitted("late", 2.0))
    assert isinstance(actions[0], Reject) and actions[0].code == "finished"


def test_grade_for_wrong_turn_is_rejected() -> None:
    state, _ = interview.step(started(), AnswerSubmitted("x", 1.0))
    _, actions = interview.step(state, GradeReady(5, make_grade("q0", {"a": Verdict.MET}), 2.0))
    assert isinstance(actions[0], Reject)


def test_retry_selection_reissues_select() -> None:
    state = started(1)
    state, actions = answer_and_grade(state, {"a": Verdict.MISSED})
    again, actions2 = interview.retry_selection(state, 9.0)
    assert isinstance(actions2[0], SelectFollowUp) and actions2[0].candidates == ("a",)
    assert replace(again) == state
