"""Transcripts: a stored session (with its metadata) as the review read model."""

from __future__ import annotations

from interviewer.core.models import Grade, InfoFlag, Question, ReviewFlag
from interviewer.core.state import ConceptNote, InterviewState, Phase, TurnStatus
from interviewer.errors import NotFound
from interviewer.schemas.protocol import ConceptOut
from interviewer.schemas.views import (
    ConfigRead,
    InterviewItem,
    InterviewRead,
    Status,
    SummaryRead,
    TurnRead,
)
from interviewer.service import messages
from interviewer.service.codec import state_from_dict
from interviewer.service.records import SessionMeta, StoredSession

# Flags a transcript adds from a grade's other fields (see grade_flags).
DERIVED_FLAGS = (ReviewFlag.FALLBACK_USED.value, InfoFlag.INSUFFICIENT_EVIDENCE.value)


def status_of(state: InterviewState) -> Status:
    if state.phase is Phase.FINISHED:
        return "completed"
    untouched = len(state.turns) == 1 and state.turns[0].status is TurnStatus.ASKED
    return "pending" if untouched and not state.turns[0].draft else "in_progress"


def grade_flags(grade: Grade) -> list[str]:
    """Why a grade deserves a human look: the judge's flags, thin evidence, a fallback judge."""
    flags = list(grade.flags)
    if grade.insufficient_evidence:
        flags.append(InfoFlag.INSUFFICIENT_EVIDENCE.value)
    if grade.provenance is not None and grade.provenance.fallback_used:
        flags.append(ReviewFlag.FALLBACK_USED.value)
    return flags


def _flags(state: InterviewState) -> list[str]:
    out: list[str] = []
    for t in state.turns:
        for f in grade_flags(t.grade) if t.grade else []:
            if f not in out:
                out.append(f)
    return out


def item(
    stored: StoredSession, meta: SessionMeta | None, state: InterviewState | None = None
) -> InterviewItem:
    state = state or state_from_dict(stored.state)
    c = state.config
    return InterviewItem(
        session_id=stored.session_id, status=status_of(state),
        score=state.summary.score if state.summary else None, created_at=stored.created_at,
        updated_at=stored.updated_at, finished_at=state.finished_at,
        candidate_ref=meta.candidate_ref if meta else None, company=c.company,
        difficulty=c.difficulty, topics=list(c.topics), questions=len(state.plan),
        flagged=bool(_flags(state)),
        overridden=any(t.grade is not None and t.grade.overridden for t in state.turns),
        needs_review=any(t.grade is not None and t.grade.needs_review for t in state.turns),
    )


def _summary(state: InterviewState, questions: dict[str, Question]) -> SummaryRead | None:
    s = state.summary
    if s is None:
        return None

    def why(qid: str, cid: str) -> str:
        q = questions.get(qid)
        for c in q.rubric.criteria if q and q.rubric else ():
            if c.id == cid:
                return c.why
        return ""

    def notes(ns: tuple[ConceptNote, ...]) -> list[ConceptOut]:
        return [messages.concept_out(n, why(n.question_id, n.criterion_id)) for n in ns]

    return SummaryRead(score=s.score, per_topic=s.per_topic, answered=s.answered, skipped=s.skipped,
                       strengths=notes(s.strengths), gaps=notes(s.gaps), recovered=notes(s.recovered))


def transcript(
    stored: StoredSession, meta: SessionMeta | None, questions: dict[str, Question]
) -> InterviewRead:
    """The full transcript; `questions` gives rubrics (for each criterion's `why`) by id."""
    state = state_from_dict(stored.state)
    base = item(stored, meta, state)
    turns = []
    for t in state.turns:
        q = questions.get(t.question_id)
        rubric = q.rubric if q else None
        if rubric is not None and t.criterion_id is not None:
            try:
                rubric = rubric.only(t.criterion_id)
            except KeyError:
                rubric = None
        turns.append(TurnRead(
            index=t.index, main_index=t.main_index, question_id=t.question_id, kind=t.kind.value,
            question=t.text, topic=t.topic, difficulty=t.difficulty,
            parent_question_id=t.parent_question_id, criterion_id=t.criterion_id, concept=t.concept,
            status=t.status.value, answer=t.answer, code=t.code, asked_at=t.asked_at,
            submitted_at=t.submitted_at,
            graded_at=t.graded_at,
            answer_seconds=round(t.submitted_at - t.asked_at, 3) if t.submitted_at else None,
            grade=messages.grade_body(t.grade, rubric) if t.grade else None,
        ))
    c = state.config
    return InterviewRead(
        **base.model_dump(), org_id=stored.org_id, created_by=meta.created_by if meta else None,
        config=ConfigRead(company=c.company, difficulty=c.difficulty, topics=list(c.topics),
                          num_questions=c.num_questions, max_followups=c.max_followups),
        flags=_flags(state), summary=_summary(state, questions), turns=turns,
    )


def missing(session_id: str) -> NotFound:
    return NotFound(f"no interview {session_id!r}")
