"""Websocket protocol v1: every client and server message, as pydantic models with a `type` tag."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

PROTOCOL_VERSION = 1

# ---- client -> server ----


class _ClientMsg(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Start(_ClientMsg):
    type: Literal["start"]
    company: str | None = Field(None, max_length=64)
    difficulty: Literal["easy", "medium", "hard"] | None = None
    topics: list[str] | None = Field(None, max_length=6)
    num_questions: int | None = Field(None, ge=1, le=50)
    max_followups: int | None = Field(None, ge=0, le=3)
    question_ids: list[str] | None = Field(None, max_length=50)
    token: str | None = Field(None, max_length=512)  # API key or candidate token (never logged)
    # With a candidate token: join the session a partner created (as `?session_id=` in ws_url).
    session_id: str | None = Field(None, max_length=64)
    # An anonymous candidate profile (POST /v1/candidate/profile): the session joins its history.
    profile: str | None = Field(None, max_length=100)
    # Make one of the questions a coding question (a problem on the chosen topics when there is one).
    include_code: bool = False


class AnswerDeltaMsg(_ClientMsg):
    type: Literal["answer.delta"]
    text: str


MAX_CODE_CHARS = 65536


class AnswerSubmitMsg(_ClientMsg):
    type: Literal["answer.submit"]
    text: str | None = None  # for a coding question: the written explanation (optional)
    code: str | None = Field(None, max_length=MAX_CODE_CHARS)  # a coding question's answer


class CodeRunMsg(_ClientMsg):
    """Run code against the open coding question's public tests; answered by `code.result`."""

    type: Literal["code.run"]
    code: str = Field(max_length=MAX_CODE_CHARS)


class SkipMsg(_ClientMsg):
    type: Literal["skip"]


class EndMsg(_ClientMsg):
    type: Literal["end"]


class ResumeMsg(_ClientMsg):
    type: Literal["resume"]
    session_id: str = Field(max_length=64)
    resume_token: str = Field(max_length=256)
    last_seq: int = Field(0, ge=0)


class PingMsg(_ClientMsg):
    type: Literal["ping"]


ClientMessage = Annotated[
    Start | AnswerDeltaMsg | AnswerSubmitMsg | CodeRunMsg | SkipMsg | EndMsg | ResumeMsg | PingMsg,
    Field(discriminator="type"),
]
CLIENT_TYPES = ("start", "answer.delta", "answer.submit", "code.run", "skip", "end", "resume", "ping")
client_adapter: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)

# ---- server -> client ----


class _ServerMsg(BaseModel):
    seq: int = 0


class SessionMsg(_ServerMsg):
    type: Literal["session"] = "session"
    session_id: str
    resume_token: str
    candidate_token: str | None = None  # the same token, under the name partners know it by
    protocol: int = PROTOCOL_VERSION
    total: int
    resumed: bool = False
    limits: dict[str, float] = Field(default_factory=dict)


class CodeQuestionOut(BaseModel):
    """What a client needs to show a coding question (its statement is the question's `text`)."""

    title: str
    entry: str = Field(description="The function the code must define")
    starter: str = Field(description="Starter code to put in the editor")
    public_tests: list[str] = Field(description="Test groups `code.run` runs")
    hidden_tests: list[str] = Field(description="Further groups the grade runs (names only)")


class QuestionMsg(_ServerMsg):
    type: Literal["question"] = "question"
    question_id: str
    text: str
    topic: str
    difficulty: str
    companies: list[str]
    index: int
    total: int
    kind: Literal["main", "followup"]
    turn: int
    parent_question_id: str | None = None
    concept: str | None = None
    # Added within v1: "code" asks for code (`code.run`, `answer.submit` with `code`); `code` is set then.
    kind_of_answer: Literal["text", "code"] = "text"
    code: CodeQuestionOut | None = None


class AnswerAcceptedMsg(_ServerMsg):
    type: Literal["answer.accepted"] = "answer.accepted"
    question_id: str
    turn: int
    chars: int


class FeedbackDeltaMsg(_ServerMsg):
    type: Literal["feedback.delta"] = "feedback.delta"
    question_id: str
    turn: int
    text: str


class GradingQueuedMsg(_ServerMsg):
    """The answer waits for a free grader (added within v1: clients may ignore it)."""

    type: Literal["grading.queued"] = "grading.queued"
    question_id: str
    turn: int
    position: int = Field(ge=1, description="1: graded next")
    eta_s: float = Field(ge=0, description="estimated seconds until grading starts")


class EvidenceOut(BaseModel):
    start: int
    end: int
    quote: str


class CriterionOut(BaseModel):
    id: str
    concept: str
    verdict: Literal["met", "partial", "missed", "contradicted"]
    evidence: EvidenceOut | None
    weight: float
    confidence: float = 0.0
    recovered: bool = False
    note: str = ""
    why: str = ""
    ai_verdict: Literal["met", "partial", "missed", "contradicted"] | None = None  # set once overridden


class ProvenanceOut(BaseModel):
    judge: str
    model: str
    prompt_version: str
    rubric_version: int
    latency_ms: float
    fallback_used: bool = False
    fallback_reason: str = ""
    tokens: int = 0
    cost_usd: float = 0.0


class GradeBody(BaseModel):
    """The grade shape shared by the websocket `grade` message and `POST /v1/grade`."""

    question_id: str
    score: int = Field(ge=0, le=100)
    criteria: list[CriterionOut]
    judge: str
    feedback: str
    flags: list[str] = Field(default_factory=list)
    insufficient_evidence: bool = False
    reason: str = ""
    revision: int = 1
    provenance: ProvenanceOut | None = None
    ai_score: int | None = None  # the judge's score, set once a reviewer overrode the grade
    overridden: bool = False
    # Provisional: a flag (prompt injection, judges disagree, a fallback judge...) asks for a human
    # look; cleared once a reviewer overrides the grade. Added within v1 (absent means false).
    needs_review: bool = False


class GradeMsg(_ServerMsg, GradeBody):
    type: Literal["grade"] = "grade"
    turn: int
    kind: Literal["main", "followup"] = "main"
    parent_question_id: str | None = None


class ConceptOut(BaseModel):
    question_id: str
    criterion_id: str
    concept: str
    topic: str = ""
    why: str = ""
    practice: list[dict[str, str]] = Field(default_factory=list)


class SummaryMsg(_ServerMsg):
    type: Literal["summary"] = "summary"
    session_id: str
    score: int
    per_topic: dict[str, int]
    strengths: list[ConceptOut]
    gaps: list[ConceptOut]
    recovered: list[ConceptOut] = Field(default_factory=list)
    answered: int = 0
    skipped: int = 0


RunStatusOut = Literal["passed", "failed", "timeout", "memory", "output_limit", "crashed", "error"]


class CodeGroupOut(BaseModel):
    name: str
    hidden: bool
    passed: int
    total: int
    ok: bool
    reason: str = ""  # why the group failed (a hidden test's inputs are never shown)


class CodeResultMsg(_ServerMsg):
    """The outcome of `code.run` (public tests only); `error` set when nothing ran (added within v1)."""

    type: Literal["code.result"] = "code.result"
    question_id: str
    turn: int
    status: RunStatusOut | None = None
    groups: list[CodeGroupOut] = Field(default_factory=list)
    output: str = ""
    detail: str = ""
    error: str | None = None  # sandbox_unavailable | busy | ...
    message: str = ""
    retry_after: float | None = None


class ErrorMsg(_ServerMsg):
    type: Literal["error"] = "error"
    code: str
    message: str
    retry_after: float | None = None


class PongMsg(_ServerMsg):
    type: Literal["pong"] = "pong"


def dump(msg: BaseModel) -> dict[str, Any]:
    """A server message as the JSON-ready dict sent on the wire."""
    return msg.model_dump(mode="json")
