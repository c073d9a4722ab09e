"""Human overrides: the judge's original is kept, the score recomputed in code, the summary too."""

from __future__ import annotations

import pytest

from interviewer.core import interview
from interviewer.core.models import Verdict
from interviewer.core.overrides import OverrideError, apply_override, override_state
from interviewer.core.state import Ended, Phase
from tests.core.test_interview import answer_and_grade, make_grade, started


def test_criterion_override_keeps_the_ai_verdict_and_recomputes() -> None:
    g = make_grade("q0", {"a": Verdict.MET, "b": Verdict.MISSED})
    assert g.score == 50
    new = apply_override(g, criterion_id="b", verdict=Verdict.MET)
    assert new.score == 100 and new.ai_score == 50 and new.overridden and new.revision == 2
    b = next(r for r in new.criteria if r.criterion_id == "b")
    assert b.verdict is Verdict.MET and b.ai_verdict is Verdict.MISSED
    again = apply_override(new, criterion_id="b", verdict=Verdict.PARTIAL)
    b2 = next(r for r in again.criteria if r.criterion_id == "b")
    assert b2.ai_verdict is Verdict.MISSED and again.ai_score == 50 and again.score == 75
    a = next(r for r in again.criteria if r.criterion_id == "a")
    assert a.ai_verdict is None


def test_whole_grade_score_and_verdict() -> None:
    g = make_grade("q0", {"a": Verdict.MET, "b": Verdict.MISSED})
    assert apply_override(g, score=80).score == 80
    every = apply_override(g, verdict=Verdict.MISSED)
    assert every.score == 0 and all(r.ai_verdict is not None for r in every.criteria)


@pytest.mark.parametrize("kw", [
    {"criterion_id": "zz", "verdict": Verdict.MET}, {}, {"verdict": Verdict.MET, "score": 5},
    {"criterion_id": "a", "score": 5}, {"score": 101},
])
def test_invalid_overrides(kw: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(OverrideError):
        apply_override(make_grade("q0", {"a": Verdict.MET}), **kw)


def test_override_state_recomputes_the_summary() -> None:
    state = started(1, max_followups=0)
    state, _ = answer_and_grade(state, {"a": Verdict.MISSED, "b": Verdict.MISSED})
    assert state.phase is Phase.FINISHED and state.summary is not None and state.summary.score == 0
    new_state, turn, grade = override_state(state, question_id="q0", criterion_id="a",
                                            verdict=Verdict.MET)
    assert turn.index == 0 and grade.score == 50
    assert new_state.summary is not None and new_state.summary.score == 50
    assert state.turns[0].grade is not None and state.turns[0].grade.score == 0  # pure
    with pytest.raises(OverrideError):
        override_state(state, question_id="nope", score=3)


def test_ungraded_turn_cannot_be_overridden() -> None:
    state = started(2)
    state, _ = interview.step(state, Ended(1.0))
    with pytest.raises(OverrideError):
        override_state(state, question_id="q0", score=10)
