"""Interview state, events and actions: the vocabulary of the pure state machine."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from interviewer.core.models import Grade, TurnKind


class Phase(StrEnum):
    ASKING = "asking"  # a question is open; deltas and submit are accepted
    GRADING = "grading"  # an answer is stored and waits for its grade
    SELECTING = "selecting"  # a grade is in; waiting to learn whether a follow-up is asked
    FINISHED = "finished"


class AnswerKind(StrEnum):
    """What a question asks for: a written answer, or code (a coding problem, plus an explanation)."""

    TEXT = "text"
    CODE = "code"


class TurnStatus(StrEnum):
    ASKED = "asked"
    GRADING = "grading"
    GRADED = "graded"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class InterviewConfig:
    company: str | None = None
    difficulty: str | None = None
    topics: tuple[str, ...] = ()
    num_questions: int = 3
    max_followups: int = 1
    max_answer_chars: int = 8000
    max_code_chars: int = 65536
    include_code: bool = False  # one of the questions is a coding problem


@dataclass(frozen=True, slots=True)
class PlannedQuestion:
    """What the state machine needs to ask a main question."""

    question_id: str
    text: str
    topic: str
    difficulty: str
    companies: tuple[str, ...]
    kind_of_answer: AnswerKind = AnswerKind.TEXT


@dataclass(frozen=True, slots=True)
class Turn:
    index: int  # position in the transcript, 0-based
    main_index: int  # 1-based number of the main question this turn belongs to
    question_id: str
    kind: TurnKind
    text: str
    topic: str
    difficulty: str
    companies: tuple[str, ...]
    asked_at: float
    parent_question_id: str | None = None
    criterion_id: str | None = None  # the concept a follow-up probes
    concept: str | None = None
    draft: str = ""
    answer: str | None = None
    submitted_at: float | None = None
    graded_at: float | None = None
    status: TurnStatus = TurnStatus.ASKED
    grade: Grade | None = None
    kind_of_answer: AnswerKind = AnswerKind.TEXT
    code: str | None = None  # a code answer as submitted (`answer` is then its explanation)


@dataclass(frozen=True, slots=True)
class ConceptNote:
    question_id: str
    criterion_id: str
    concept: str
    why: str = ""
    topic: str = ""


@dataclass(frozen=True, slots=True)
class Summary:
    score: int
    per_topic: dict[str, int]
    strengths: tuple[ConceptNote, ...]
    gaps: tuple[ConceptNote, ...]
    recovered: tuple[ConceptNote, ...]
    answered: int
    skipped: int


@dataclass(frozen=True, slots=True)
class InterviewState:
    session_id: str
    config: InterviewConfig
    plan: tuple[PlannedQuestion, ...]
    created_at: float
    turns: tuple[Turn, ...] = ()
    phase: Phase = Phase.ASKING
    end_requested: bool = False
    finished_at: float | None = None
    summary: Summary | None = None
    # Probes already asked in this session ("question_id/criterion_id" and probe texts), never repeated.
    asked_probes: tuple[str, ...] = ()

    @property
    def current(self) -> Turn | None:
        return self.turns[-1] if self.turns else None


# ---- events (inputs) ----


@dataclass(frozen=True, slots=True)
class AnswerDelta:
    text: str
    at: float


@dataclass(frozen=True, slots=True)
class AnswerSubmitted:
    text: str | None
    at: float
    code: str | None = None  # a coding question's answer; `text` is then the optional explanation


@dataclass(frozen=True, slots=True)
class CodeRunRequested:
    """The candidate asks to run code against the open coding question's public tests."""

    code: str
    at: float


@dataclass(frozen=True, slots=True)
class GradeReady:
    turn_index: int
    grade: Grade
    at: float


@dataclass(frozen=True, slots=True)
class FollowUpChosen:
    """The outcome of SelectFollowUp: a probe to ask, or None to move on."""

    turn_index: int
    at: float
    criterion_id: str | None = None
    concept: str | None = None
    text: str | None = None
    source_question_id: str | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    at: float


@dataclass(frozen=True, slots=True)
class Ended:
    at: float


Event = AnswerDelta | AnswerSubmitted | CodeRunRequested | GradeReady | FollowUpChosen | Skipped | Ended


# ---- actions (outputs) ----


@dataclass(frozen=True, slots=True)
class AskQuestion:
    turn: Turn
    total: int


@dataclass(frozen=True, slots=True)
class AcceptAnswer:
    """The answer is in the state (and so stored) before grading starts."""

    turn_index: int
    question_id: str
    chars: int


@dataclass(frozen=True, slots=True)
class GradeAnswer:
    turn_index: int
    question_id: str
    answer: str
    criterion_id: str | None = None  # a follow-up is graded against this concept alone
    code: str | None = None  # a code answer: graded by its tests, `answer` (explanation) by the judge


@dataclass(frozen=True, slots=True)
class RunCode:
    """Run code against the public tests of the open coding question (nothing in the state changes)."""

    turn_index: int
    question_id: str
    code: str


@dataclass(frozen=True, slots=True)
class SelectFollowUp:
    turn_index: int
    question_id: str
    answer: str
    candidates: tuple[str, ...]  # criterion ids, missed before partial, by weight
    exclude: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class EmitGrade:
    turn_index: int
    grade: Grade


@dataclass(frozen=True, slots=True)
class Finish:
    summary: Summary


@dataclass(frozen=True, slots=True)
class Reject:
    code: str
    message: str


Action = (AskQuestion | AcceptAnswer | GradeAnswer | RunCode | SelectFollowUp | EmitGrade | Finish
          | Reject)
