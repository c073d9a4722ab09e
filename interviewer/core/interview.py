"""The interview as a pure state machine: `step(state, event) -> (state, actions)`; no I/O."""

from __future__ import annotations

from dataclasses import replace

from interviewer.core import scoring
from interviewer.core.code_grade import is_test_criterion
from interviewer.core.models import Grade, TurnKind, Verdict
from interviewer.core.state import (
    AcceptAnswer,
    Action,
    AnswerDelta,
    AnswerKind,
    AnswerSubmitted,
    AskQuestion,
    CodeRunRequested,
    EmitGrade,
    Ended,
    Event,
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
    Skipped,
    Turn,
    TurnStatus,
)
from interviewer.core.summary import summarize

Step = tuple[InterviewState, list[Action]]


def start(
    session_id: str, config: InterviewConfig, plan: tuple[PlannedQuestion, ...], at: float
) -> Step:
    """A new interview that asks the first planned question."""
    if not plan:
        raise ValueError("an interview needs at least one question")
    state = InterviewState(session_id=session_id, config=config, plan=plan, created_at=at)
    return _ask_main(state, 0, at)


def step(state: InterviewState, event: Event) -> Step:
    """Apply one event; invalid events leave the state as it was and emit a Reject."""
    if state.phase is Phase.FINISHED:
        return state, [Reject("finished", "the interview has finished")]
    match event:
        case AnswerDelta():
            return _delta(state, event)
        case AnswerSubmitted():
            return _submit(state, event)
        case CodeRunRequested():
            return _run_code(state, event)
        case GradeReady():
            return _graded(state, event)
        case FollowUpChosen():
            return _followup(state, event)
        case Skipped():
            return _skip(state, event)
        case Ended():
            return _end(state, event)
    raise TypeError(f"unknown event {event!r}")  # pragma: no cover


def with_draft(state: InterviewState, draft: str) -> InterviewState:
    """`state` with `draft` as the open question's draft (unchanged when no question is open):
    a draft typed since the last write is kept when the runner falls back to the stored state."""
    turn = _open_turn(state)
    if turn is None or turn.draft == draft:
        return state
    return _replace_turn(state, replace(turn, draft=draft))


def retry_selection(state: InterviewState, at: float) -> Step:
    """Re-issue the follow-up selection of a session that stopped while selecting."""
    if state.phase is not Phase.SELECTING or not state.turns:
        return state, []
    return _maybe_select(state, state.turns[-1], at)


def _replace_turn(state: InterviewState, turn: Turn) -> InterviewState:
    turns = list(state.turns)
    turns[turn.index] = turn
    return replace(state, turns=tuple(turns))


def _ask_main(state: InterviewState, plan_index: int, at: float) -> Step:
    q = state.plan[plan_index]
    turn = Turn(
        index=len(state.turns), main_index=plan_index + 1, question_id=q.question_id,
        kind=TurnKind.MAIN, text=q.text, topic=q.topic, difficulty=q.difficulty,
        companies=q.companies, asked_at=at, kind_of_answer=q.kind_of_answer,
    )
    state = replace(state, turns=(*state.turns, turn), phase=Phase.ASKING)
    return state, [AskQuestion(turn, total=len(state.plan))]


def _advance(state: InterviewState, at: float) -> Step:
    """Ask the next main question, or finish."""
    asked_main = sum(1 for t in state.turns if t.kind is TurnKind.MAIN)
    if state.end_requested or asked_main >= len(state.plan):
        return _finish(state, at)
    return _ask_main(state, asked_main, at)


def _finish(state: InterviewState, at: float) -> Step:
    summary = summarize(state)
    state = replace(state, phase=Phase.FINISHED, finished_at=at, summary=summary)
    return state, [Finish(summary)]


def _open_turn(state: InterviewState) -> Turn | None:
    turn = state.current
    if state.phase is not Phase.ASKING or turn is None or turn.status is not TurnStatus.ASKED:
        return None
    return turn


def _delta(state: InterviewState, event: AnswerDelta) -> Step:
    turn = _open_turn(state)
    if turn is None:
        return state, [Reject("invalid_state", "no question is waiting for an answer")]
    draft = turn.draft + event.text
    if len(draft) > state.config.max_answer_chars:
        return state, [Reject(
            "answer_too_long",
            f"answers are limited to {state.config.max_answer_chars} characters; "
            f"the draft so far ({len(turn.draft)} characters) is kept",
        )]
    return _replace_turn(state, replace(turn, draft=draft)), []


def _submit(state: InterviewState, event: AnswerSubmitted) -> Step:
    turn = _open_turn(state)
    if turn is None:
        busy = state.phase in (Phase.GRADING, Phase.SELECTING)
        msg = "the previous answer is still being graded" if busy else "no open question"
        return state, [Reject("invalid_state", msg)]
    if turn.kind_of_answer is AnswerKind.CODE or event.code is not None:
        return _submit_code(state, turn, event)
    text = event.text if event.text is not None else turn.draft
    if len(text) > state.config.max_answer_chars:
        return state, [Reject(
            "answer_too_long",
            f"answers are limited to {state.config.max_answer_chars} characters "
            f"(got {len(text)}); nothing was submitted",
        )]
    if not text.strip():
        return state, [Reject("empty_answer", "the answer is empty; type an answer or send skip")]
    turn = replace(turn, answer=text, draft=text, submitted_at=event.at, status=TurnStatus.GRADING)
    state = replace(_replace_turn(state, turn), phase=Phase.GRADING)
    return state, [
        AcceptAnswer(turn.index, turn.question_id, len(text)),
        GradeAnswer(turn.index, turn.question_id, text, turn.criterion_id),
    ]


def _code_refusal(state: InterviewState, turn: Turn | None, code: str | None) -> Reject | None:
    """Why code cannot be taken for this turn, or None."""
    if turn is not None and turn.kind_of_answer is not AnswerKind.CODE:
        return Reject("invalid_message", "this question takes a written answer, not code")
    if code is None or not code.strip():
        return Reject("empty_answer", "the code is empty; send the code of your solution")
    if len(code) > state.config.max_code_chars:
        return Reject("answer_too_long", f"code is limited to {state.config.max_code_chars} characters "
                      f"(got {len(code)}); nothing was taken")
    return None


def _submit_code(state: InterviewState, turn: Turn, event: AnswerSubmitted) -> Step:
    """A coding question's answer: the code (required) and an optional written explanation."""
    refused = _code_refusal(state, turn, event.code)
    if refused is not None:
        return state, [refused]
    assert event.code is not None
    text = event.text if event.text is not None else turn.draft
    if len(text) > state.config.max_answer_chars:
        return state, [Reject(
            "answer_too_long", f"the explanation is limited to {state.config.max_answer_chars} "
            f"characters (got {len(text)}); nothing was submitted")]
    turn = replace(turn, answer=text, draft=text, code=event.code, submitted_at=event.at,
                   status=TurnStatus.GRADING)
    state = replace(_replace_turn(state, turn), phase=Phase.GRADING)
    return state, [
        AcceptAnswer(turn.index, turn.question_id, len(event.code) + len(text)),
        GradeAnswer(turn.index, turn.question_id, text, turn.criterion_id, code=event.code),
    ]


def _run_code(state: InterviewState, event: CodeRunRequested) -> Step:
    """A run of the public tests while a coding question is open; the state does not change."""
    turn = _open_turn(state)
    if turn is None:
        return state, [Reject("invalid_state", "no coding question is open")]
    refused = _code_refusal(state, turn, event.code)
    if refused is not None:
        return state, [refused]
    return state, [RunCode(turn.index, turn.question_id, event.code)]


def _main_of(state: InterviewState, turn: Turn) -> Turn:
    return next(t for t in state.turns if t.kind is TurnKind.MAIN and t.main_index == turn.main_index)


def _followups_of(state: InterviewState, main: Turn) -> int:
    return sum(1 for t in state.turns if t.kind is TurnKind.FOLLOWUP and t.main_index == main.main_index)


def _candidates(state: InterviewState, main: Turn) -> tuple[str, ...]:
    """Missed (then partial) criteria of the main grade by weight, not yet probed. A coding
    question is followed up on the concepts of its failing test groups only."""
    if main.grade is None:
        return ()
    probed = set(state.asked_probes)
    order = {Verdict.MISSED: 0, Verdict.CONTRADICTED: 0, Verdict.PARTIAL: 1}
    code = main.kind_of_answer is AnswerKind.CODE
    todo = [
        r for r in main.grade.criteria
        if r.verdict in order and not r.recovered
        and f"{main.question_id}/{r.criterion_id}" not in probed
        and (not code or is_test_criterion(r.criterion_id))
    ]
    todo.sort(key=lambda r: (order[r.verdict], -r.weight))
    return tuple(r.criterion_id for r in todo)


def _maybe_select(state: InterviewState, turn: Turn, at: float) -> Step:
    main = _main_of(state, turn)
    if state.end_requested or _followups_of(state, main) >= state.config.max_followups:
        return _advance(state, at)
    candidates = _candidates(state, main)
    if not candidates:
        return _advance(state, at)
    state = replace(state, phase=Phase.SELECTING)
    return state, [SelectFollowUp(
        turn.index, main.question_id, main.answer or "", candidates, frozenset(state.asked_probes),
    )]


def _recover(state: InterviewState, followup: Turn, grade: Grade) -> Step:
    """A follow-up that meets its concept marks the parent criterion recovered (original verdict kept)."""
    met = any(r.verdict is Verdict.MET for r in grade.criteria)
    main = _main_of(state, followup)
    if not met or main.grade is None:
        return state, []
    results = tuple(
        replace(r, recovered=True) if r.criterion_id == followup.criterion_id else r
        for r in main.grade.criteria
    )
    parent = replace(
        main.grade, criteria=results, score=scoring.score(results), revision=main.grade.revision + 1
    )
    state = _replace_turn(state, replace(main, grade=parent))
    return state, [EmitGrade(main.index, parent)]


def _graded(state: InterviewState, event: GradeReady) -> Step:
    if state.phase is not Phase.GRADING or not 0 <= event.turn_index < len(state.turns):
        return state, [Reject("invalid_state", "no answer is waiting for a grade")]
    turn = state.turns[event.turn_index]
    if turn.status is not TurnStatus.GRADING:
        return state, [Reject("invalid_state", "that answer is not being graded")]
    turn = replace(turn, grade=event.grade, graded_at=event.at, status=TurnStatus.GRADED)
    state = _replace_turn(state, turn)
    actions: list[Action] = [EmitGrade(turn.index, event.grade)]
    if turn.kind is TurnKind.FOLLOWUP:
        state, more = _recover(state, turn, event.grade)
        actions += more
    state, more = _maybe_select(state, turn, event.at)
    return state, actions + more


def _followup(state: InterviewState, event: FollowUpChosen) -> Step:
    if state.phase is not Phase.SELECTING:
        return state, [Reject("invalid_state", "no follow-up is being selected")]
    if event.text is None or event.criterion_id is None or state.end_requested:
        return _advance(state, event.at)
    main = _main_of(state, state.turns[event.turn_index])
    turn = Turn(
        index=len(state.turns), main_index=main.main_index, question_id=main.question_id,
        kind=TurnKind.FOLLOWUP, text=event.text, topic=main.topic, difficulty=main.difficulty,
        companies=main.companies, asked_at=event.at, parent_question_id=main.question_id,
        criterion_id=event.criterion_id, concept=event.concept,
    )
    probes = (*state.asked_probes, f"{main.question_id}/{event.criterion_id}", event.text)
    state = replace(state, turns=(*state.turns, turn), phase=Phase.ASKING, asked_probes=probes)
    return state, [AskQuestion(turn, total=len(state.plan))]


def _skip(state: InterviewState, event: Skipped) -> Step:
    turn = _open_turn(state)
    if turn is None:
        return state, [Reject("invalid_state", "no open question to skip")]
    state = _replace_turn(state, replace(turn, status=TurnStatus.SKIPPED))
    return _advance(state, event.at)


def _end(state: InterviewState, event: Ended) -> Step:
    if state.phase in (Phase.GRADING, Phase.SELECTING):
        # Never drop a stored answer: finish once its grade is in.
        return replace(state, end_requested=True), []
    return _finish(state, event.at)
