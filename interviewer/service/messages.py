"""Protocol messages built from core objects."""

from __future__ import annotations

import hashlib
from typing import Any

from interviewer.core.code import CodeProblem
from interviewer.core.models import Grade, Rubric
from interviewer.core.state import ConceptNote, Summary, Turn
from interviewer.schemas.protocol import (
    CodeQuestionOut,
    ConceptOut,
    CriterionOut,
    EvidenceOut,
    GradeBody,
    GradeMsg,
    ProvenanceOut,
    QuestionMsg,
    SummaryMsg,
)


def grade_body(grade: Grade, rubric: Rubric | None = None) -> GradeBody:
    """The wire shape of a grade; `why` comes from the rubric for what was not met."""
    whys = {c.id: c.why for c in rubric.criteria} if rubric else {}
    criteria = [
        CriterionOut(
            id=r.criterion_id, concept=r.concept, verdict=r.verdict.value,
            evidence=EvidenceOut(start=r.evidence.start, end=r.evidence.end, quote=r.evidence.quote)
            if r.evidence else None,
            weight=r.weight, confidence=round(r.confidence, 3), recovered=r.recovered, note=r.note,
            why=whys.get(r.criterion_id, "") if r.verdict.value != "met" else "",
            ai_verdict=r.ai_verdict.value if r.ai_verdict is not None else None,
        )
        for r in grade.criteria
    ]
    p = grade.provenance
    prov = ProvenanceOut(
        judge=p.judge, model=p.model, prompt_version=p.prompt_version,
        rubric_version=p.rubric_version, latency_ms=round(p.latency_ms, 1),
        fallback_used=p.fallback_used, fallback_reason=p.fallback_reason, tokens=p.tokens,
        cost_usd=p.cost_usd,
    ) if p else None
    return GradeBody(
        question_id=grade.question_id, score=grade.score, criteria=criteria, judge=grade.judge,
        feedback=grade.feedback, flags=list(grade.flags),
        insufficient_evidence=grade.insufficient_evidence, reason=grade.reason,
        revision=grade.revision, provenance=prov, ai_score=grade.ai_score, overridden=grade.overridden,
        needs_review=grade.needs_review,
    )


def grade_msg(seq: int, turn: Turn, grade: Grade, rubric: Rubric | None) -> GradeMsg:
    body = grade_body(grade, rubric)
    return GradeMsg(
        seq=seq, turn=turn.index, kind=turn.kind.value, parent_question_id=turn.parent_question_id,
        **body.model_dump(),
    )


def code_out(p: CodeProblem) -> CodeQuestionOut:
    """A coding question's editor view: title, entry point, starter code and test group names."""
    return CodeQuestionOut(
        title=p.title, entry=p.entry, starter=p.starter,
        public_tests=[g.name for g in p.groups if not g.hidden],
        hidden_tests=[g.name for g in p.groups if g.hidden])


def question_msg(seq: int, turn: Turn, total: int, problem: CodeProblem | None = None) -> QuestionMsg:
    """A `question`; a coding question (`problem` given) carries `kind_of_answer: code` and `code`."""
    return QuestionMsg(
        seq=seq, question_id=turn.question_id, text=turn.text, topic=turn.topic,
        difficulty=turn.difficulty, companies=list(turn.companies), index=turn.main_index,
        total=total, kind=turn.kind.value, turn=turn.index,
        parent_question_id=turn.parent_question_id, concept=turn.concept,
        kind_of_answer="code" if problem is not None else "text",
        code=code_out(problem) if problem is not None else None,
    )


def concept_out(note: ConceptNote, why: str = "", practice: list[dict[str, str]] | None = None) -> ConceptOut:
    return ConceptOut(
        question_id=note.question_id, criterion_id=note.criterion_id, concept=note.concept,
        topic=note.topic, why=why or note.why, practice=practice or [],
    )


def summary_msg(
    seq: int, session_id: str, summary: Summary, gaps: list[ConceptOut], whys: dict[str, str]
) -> SummaryMsg:
    def key(n: ConceptNote) -> str:
        return f"{n.question_id}/{n.criterion_id}"

    return SummaryMsg(
        seq=seq, session_id=session_id, score=summary.score, per_topic=summary.per_topic,
        strengths=[concept_out(n, whys.get(key(n), "")) for n in summary.strengths],
        gaps=gaps,
        recovered=[concept_out(n, whys.get(key(n), "")) for n in summary.recovered],
        answered=summary.answered, skipped=summary.skipped,
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


TOKEN_FIELDS = ("resume_token", "candidate_token")


def without_token(msg: dict[str, Any]) -> dict[str, Any]:
    """A `session` message as stored: its tokens blanked (sessions stored before kept them)."""
    return {**msg, **{f: "" for f in TOKEN_FIELDS if f in msg}}


def with_token(msg: dict[str, Any], token: str) -> dict[str, Any]:
    """A stored message as replayed: a `session` message gets back the token the client proved."""
    if msg.get("type") != "session":
        return msg
    return {**msg, **{f: token for f in TOKEN_FIELDS if f in msg}}
