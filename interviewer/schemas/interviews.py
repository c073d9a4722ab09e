"""Request and response schemas of partner interviews, review, overrides and batch grading."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from interviewer.schemas.protocol import GradeBody
from interviewer.schemas.rest import ErrorBody, GradeCreate
from interviewer.schemas.views import AuditRead

Topic = Literal["architecture", "tokenization", "training", "scaling", "inference", "alignment"]


class InlineQuestion(BaseModel):
    """A partner's own question; its rubric is derived from the sample answer."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$",
                           description="your id for it (reuse it later in `question_ids`)")
    text: str = Field(min_length=3, max_length=4000)
    sample_answer: str = Field(min_length=3, max_length=8000)
    topic: str = Field("custom", min_length=1, max_length=64)
    difficulty: Literal["easy", "medium", "hard"] = "medium"


class InterviewCreate(BaseModel):
    """Bank or own question ids, or inline questions, or company/difficulty/topic filters."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"num_questions": 2, "max_followups": 1, "candidate_ref": "cand-42"},
        {"question_ids": ["tok-bpe-vs-unigram"], "candidate_ref": "cand-43"},
    ]})

    question_ids: list[str] | None = Field(None, min_length=1, max_length=50)
    questions: list[InlineQuestion] | None = Field(None, min_length=1, max_length=50)
    company: str | None = Field(None, max_length=64)
    difficulty: Literal["easy", "medium", "hard"] | None = None
    topics: list[Topic] | None = Field(None, max_length=6)
    num_questions: int | None = Field(None, ge=1, le=50)
    max_followups: int | None = Field(None, ge=0, le=3)
    candidate_ref: str | None = Field(None, max_length=200, description="your reference for the candidate")
    include_code: bool = Field(False, description="make the last question a coding problem (protocol.md)")

    @model_validator(mode="after")
    def _one_source(self) -> InterviewCreate:
        if self.question_ids and self.questions:
            raise ValueError("give question_ids or questions, not both")
        return self


class InterviewCreated(BaseModel):
    session_id: str
    candidate_token: str = Field(description="the candidate's secret for this session (shown once)")
    ws_url: str = Field(description="complete websocket URL for the candidate's client; send `start`")
    candidate_url: str = Field(description="the chat UI on this session, for the candidate's browser "
                               "(`/?session=<id>#token=<token>`: the token stays in the fragment)")
    total: int = Field(description="number of main questions")


class OverrideCreate(BaseModel):
    """A verdict of one criterion (`criterion_id` + `verdict`), of every criterion (`verdict`), or
    a whole grade's `score`; the reason is required and kept in the audit log."""

    model_config = ConfigDict(extra="forbid")

    question_id: str = Field(min_length=1, max_length=200)
    turn: int | None = Field(None, ge=0, le=1000, description="a follow-up's turn (default: the main turn)")
    criterion_id: str | None = Field(None, min_length=1, max_length=200)
    verdict: Literal["met", "partial", "missed", "contradicted"] | None = None
    score: int | None = Field(None, ge=0, le=100)
    reason: str = Field(min_length=3, max_length=2000)

    @model_validator(mode="after")
    def _one_change(self) -> OverrideCreate:
        if (self.verdict is None) == (self.score is None):
            raise ValueError("give either verdict or score")
        if self.score is not None and self.criterion_id is not None:
            raise ValueError("a score overrides the whole grade; leave criterion_id out")
        return self


class OverrideRead(BaseModel):
    audit: AuditRead
    grade: GradeBody
    interview_score: int | None = Field(description="the recomputed overall score, once completed")


class GradeBatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[GradeCreate] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _no_code(self) -> GradeBatchCreate:
        if any(i.problem_id is not None for i in self.items):
            raise ValueError("code answers are graded one at a time: POST /v1/grade with problem_id")
        return self


class GradeBatchItem(BaseModel):
    index: int
    grade: GradeBody | None = None
    error: ErrorBody | None = None


class GradeBatchRead(BaseModel):
    items: list[GradeBatchItem]
