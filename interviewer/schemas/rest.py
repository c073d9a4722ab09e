"""REST request and response schemas (the websocket protocol lives in interviewer.schemas.protocol)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.IGNORECASE)


def _rfc3339(value: object) -> object:
    """Only what the schema's `date-time` promises: pydantic alone would also take `0.5` (unix
    seconds) or a date without a time or offset."""
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339.fullmatch(value)):
        return value
    raise ValueError("expected an RFC 3339 date-time with its offset, e.g. 2026-12-01T09:00:00Z")


# A query parameter or field documented as `format: date-time`, and held to it.
DateTime = Annotated[datetime, BeforeValidator(_rfc3339)]


class ErrorBody(BaseModel):
    code: str
    message: str
    retry_after: float | None = None
    details: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


ERROR_TEXT = {
    400: "bad request (e.g. an invalid cursor or a filter value)",
    401: "missing, unknown or revoked API key (INTERVIEWER_AUTH=on)",
    403: "the key's role may not do this",
    404: "not found, or belongs to another organisation",
    409: "conflict: idempotency key reused with another body, or still running; invalid state",
    413: "payload or answer too large",
    422: "invalid body or parameters",
    429: "rate limited; see the Retry-After header",
    503: "the service is still loading, the grader is busy, or (coding) no sandbox works here",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses a route can return (every route: 401, 403, 429, 503)."""
    wanted = sorted({401, 403, 422, 429, 503, *codes})
    return {c: {"model": ErrorResponse, "description": ERROR_TEXT[c],
                **({"headers": {"Retry-After": {"schema": {"type": "integer"},
                                                "description": "seconds to wait"}}}
                   if c in (429, 503) else {})}
            for c in wanted}


class CriterionRead(BaseModel):
    id: str
    concept: str
    statement: str
    partial: str
    misconception: str
    probe: str
    why: str
    weight: float
    practice: list[str] = Field(
        default_factory=list,
        description="ids of other questions that exercise this concept, best first (may be empty)")


class RubricRead(BaseModel):
    version: int
    reviewed: bool = False
    derivation_method: str | None = None
    criteria: list[CriterionRead]


class QuestionRead(BaseModel):
    id: str
    text: str
    topic: str
    difficulty: Literal["easy", "medium", "hard"]
    companies: list[str]
    tags: list[str]
    sample_answer: str | None = None
    rubric: RubricRead | None = None


class QuestionList(BaseModel):
    items: list[QuestionRead]
    total: int
    limit: int
    offset: int
    facets: dict[str, dict[str, int]]


class GradeCreate(BaseModel):
    """A bank question (`question_id`), a partner's own (`question` + `sample_answer`), or a code
    answer to a bank coding problem (`problem_id` + `code`, optional `explanation`)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"question_id": "tok-bpe-vs-unigram",
         "answer": "BPE starts from characters and greedily merges the most frequent pair; Unigram "
                   "starts from a large vocabulary and prunes the pieces that least lower the likelihood."},
        {"question": "Why do databases use write-ahead logging?",
         "sample_answer": "Changes are logged durably before pages are written, so a crash is "
                          "recovered by replaying the log.",
         "answer": "The log is written first, so after a crash the database redoes what was committed."},
    ]})

    answer: str | None = Field(
        None, description="The candidate's answer (limit: INTERVIEWER_MAX_ANSWER_CHARS), unless code")
    question_id: str | None = Field(None, max_length=200)
    question: str | None = Field(None, min_length=3, max_length=4000)
    sample_answer: str | None = Field(None, min_length=3, max_length=8000)
    problem_id: str | None = Field(None, max_length=200, description="A coding problem (/v1/code/problems)")
    code: str | None = Field(None, max_length=65536, description="The solution to `problem_id` (Python)")
    explanation: str | None = Field(None, description="The written explanation of the code (optional; "
                                    "limit: INTERVIEWER_MAX_ANSWER_CHARS)")

    @model_validator(mode="after")
    def _one_source(self) -> GradeCreate:
        bank = self.question_id is not None
        adhoc = self.question is not None or self.sample_answer is not None
        code = self.problem_id is not None or self.code is not None or self.explanation is not None
        if bank + adhoc + code != 1:
            raise ValueError("give either question_id, or question and sample_answer, or problem_id and code")
        if adhoc and (self.question is None or self.sample_answer is None):
            raise ValueError("an ad-hoc question needs both question and sample_answer")
        if code and (self.problem_id is None or self.code is None or self.answer is not None):
            raise ValueError("a code answer needs problem_id and code (and `explanation`, not `answer`)")
        if not code and self.answer is None:
            raise ValueError("answer is required")
        return self


class Health(BaseModel):
    status: str
    detail: dict[str, str | int | bool] = Field(default_factory=dict)


class SearchItem(BaseModel):
    kind: Literal["question", "concept"]
    question_id: str
    criterion_id: str | None = None
    text: str = Field(description="The question text, or the concept's probe question")
    concept: str | None = None
    topic: str
    difficulty: str
    score: float


class SearchResults(BaseModel):
    query: str
    items: list[SearchItem]
