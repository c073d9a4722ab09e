"""Read models of interviews for review and export (pydantic; the JSON export's versioned schema)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from interviewer.schemas.protocol import ConceptOut, GradeBody

TRANSCRIPT_SCHEMA = "interviewer.interview/v1"
Status = Literal["pending", "in_progress", "completed"]


class ConfigRead(BaseModel):
    company: str | None = None
    difficulty: str | None = None
    topics: list[str] = Field(default_factory=list)
    num_questions: int
    max_followups: int


class TurnRead(BaseModel):
    """One question of the transcript with the candidate's answer, its timing and its grade."""

    index: int = Field(description="0-based position in the transcript")
    main_index: int = Field(description="1-based number of the main question this turn belongs to")
    question_id: str
    kind: Literal["main", "followup"]
    question: str
    topic: str
    difficulty: str
    parent_question_id: str | None = None
    criterion_id: str | None = Field(None, description="the concept a follow-up probes")
    concept: str | None = None
    status: Literal["asked", "grading", "graded", "skipped"]
    answer: str | None = None
    code: str | None = Field(None, description="a coding question's submitted code (`answer` is then "
                             "its written explanation)")
    asked_at: float
    submitted_at: float | None = None
    graded_at: float | None = None
    answer_seconds: float | None = Field(None, description="from the question to the submission")
    grade: GradeBody | None = None


class SummaryRead(BaseModel):
    score: int
    per_topic: dict[str, int]
    answered: int
    skipped: int
    strengths: list[ConceptOut]
    gaps: list[ConceptOut]
    recovered: list[ConceptOut] = Field(description="gaps shown later in a follow-up answer")


class InterviewItem(BaseModel):
    """An interview in a list: no transcript."""

    session_id: str
    status: Status
    score: int | None = Field(None, description="the overall score once completed")
    created_at: float
    updated_at: float
    finished_at: float | None = None
    candidate_ref: str | None = None
    company: str | None = None
    difficulty: str | None = None
    topics: list[str] = Field(default_factory=list)
    questions: int
    flagged: bool = Field(description="a grade carries a flag, needs review or fell back")
    overridden: bool = Field(description="a reviewer changed a grade")
    needs_review: bool = Field(
        False, description="a grade is provisional: a review flag and no reviewer override yet")


class InterviewRead(InterviewItem):
    """The full transcript of one interview."""

    schema_: str = Field(TRANSCRIPT_SCHEMA, alias="schema", description="versioned export schema")
    org_id: str
    created_by: str | None = None
    config: ConfigRead
    flags: list[str] = Field(default_factory=list)
    summary: SummaryRead | None = None
    turns: list[TurnRead]

    model_config = {"populate_by_name": True}


class InterviewPage(BaseModel):
    items: list[InterviewItem]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page")


class AuditRead(BaseModel):
    entry_id: str
    at: float
    actor: str
    action: str
    question_id: str
    criterion_id: str | None = None
    reason: str
    before: dict[str, object]
    after: dict[str, object]


class AuditList(BaseModel):
    session_id: str
    items: list[AuditRead]
