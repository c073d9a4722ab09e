"""Human overrides of grades: pure functions that keep the judge's original and recompute the score."""

from __future__ import annotations

from dataclasses import replace

from interviewer.core import scoring
from interviewer.core.models import CriterionResult, Grade, TurnKind, Verdict
from interviewer.core.state import InterviewState, Phase, Turn
from interviewer.core.summary import summarize


class OverrideError(ValueError):
    """The override does not apply to this grade (unknown criterion, nothing to change...)."""


def _override_criterion(result: CriterionResult, verdict: Verdict) -> CriterionResult:
    original = result.ai_verdict if result.ai_verdict is not None else result.verdict
    # The judge's in-band credit belongs to its verdict; a human verdict earns the band's default.
    return replace(result, verdict=verdict, ai_verdict=original, credit=None)


def apply_override(
    grade: Grade,
    *,
    criterion_id: str | None = None,
    verdict: Verdict | None = None,
    score: int | None = None,
) -> Grade:
    """A new revision of `grade` with a human change; the judge's verdicts and score are kept.

    A criterion verdict (or, without `criterion_id`, one verdict for every criterion) recomputes
    the score in code; a whole-grade `score` sets it directly until the next verdict override.
    """
    if (verdict is None) == (score is None):
        raise OverrideError("give either a verdict or a score")
    if score is not None and criterion_id is not None:
        raise OverrideError("a score overrides a whole grade; leave criterion_id out")
    if score is not None and not 0 <= score <= 100:
        raise OverrideError("a score is between 0 and 100")
    ai_score = grade.ai_score if grade.ai_score is not None else grade.score
    if score is not None:
        return replace(grade, score=score, ai_score=ai_score, overridden=True,
                       revision=grade.revision + 1)
    assert verdict is not None
    ids = {r.criterion_id for r in grade.criteria}
    if criterion_id is not None and criterion_id not in ids:
        raise OverrideError(f"the grade has no criterion {criterion_id!r}; it has {sorted(ids)}")
    results = tuple(
        _override_criterion(r, verdict) if criterion_id in (None, r.criterion_id) else r
        for r in grade.criteria
    )
    return replace(grade, criteria=results, score=scoring.score(results), ai_score=ai_score,
                   overridden=True, revision=grade.revision + 1)


def graded_turn(state: InterviewState, question_id: str, turn_index: int | None = None) -> Turn:
    """The graded turn an override targets: `turn_index`, else the main turn of `question_id`."""
    if turn_index is not None:
        if not 0 <= turn_index < len(state.turns):
            raise OverrideError(f"the interview has no turn {turn_index}")
        turn = state.turns[turn_index]
        if turn.question_id != question_id:
            raise OverrideError(f"turn {turn_index} is not question {question_id!r}")
    else:
        mains = [t for t in state.turns if t.question_id == question_id and t.kind is TurnKind.MAIN]
        if not mains:
            raise OverrideError(f"question {question_id!r} was not asked in this interview")
        turn = mains[-1]
    if turn.grade is None:
        raise OverrideError(f"question {question_id!r} has no grade to override")
    return turn


def override_state(
    state: InterviewState,
    *,
    question_id: str,
    turn_index: int | None = None,
    criterion_id: str | None = None,
    verdict: Verdict | None = None,
    score: int | None = None,
) -> tuple[InterviewState, Turn, Grade]:
    """The state with one grade overridden (and the summary recomputed once finished)."""
    turn = graded_turn(state, question_id, turn_index)
    assert turn.grade is not None
    new = apply_override(turn.grade, criterion_id=criterion_id, verdict=verdict, score=score)
    turns = list(state.turns)
    turns[turn.index] = replace(turn, grade=new)
    state = replace(state, turns=tuple(turns))
    if state.phase is Phase.FINISHED:
        state = replace(state, summary=summarize(state))
    return state, turn, new
