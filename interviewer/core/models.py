"""Domain models of the interview core: frozen dataclasses and enums, no I/O."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


def content_digest(*parts: str) -> str:
    """A short stable id for content (a partner's question: its text and sample answer)."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def answer_hash(sample_answer: str) -> str:
    """The hash a rubric records of the sample answer it was derived from."""
    return hashlib.sha256(sample_answer.strip().encode("utf-8")).hexdigest()


class Area(StrEnum):
    ARCHITECTURE = "architecture"
    TOKENIZATION = "tokenization"
    TRAINING = "training"
    SCALING = "scaling"
    INFERENCE = "inference"
    ALIGNMENT = "alignment"


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


COMPANIES: tuple[str, ...] = (
    "OpenAI",
    "Anthropic",
    "Google",
    "Google DeepMind",
    "Meta",
    "Microsoft",
    "Nvidia",
    "Mistral",
)


class Verdict(StrEnum):
    MET = "met"
    PARTIAL = "partial"
    MISSED = "missed"
    CONTRADICTED = "contradicted"


class TurnKind(StrEnum):
    MAIN = "main"
    FOLLOWUP = "followup"


@dataclass(frozen=True, slots=True)
class Criterion:
    """One weighted rubric criterion: a concept a complete answer states."""

    id: str
    concept: str
    statement: str
    weight: float
    partial: str = ""
    misconception: str = ""
    probe: str = ""
    why: str = ""
    key_terms: tuple[str, ...] = ()
    # Other bank questions (public ids, best first) whose good answer needs this concept: the
    # practice suggested for this gap before any ranked one, since a ranker matches shared words.
    practice: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Derivation:
    """How a rubric was produced from its sample answer."""

    method: str  # "manual" | "offline" | "llm"
    sample_answer_sha256: str
    model: str | None = None
    derived_at: str | None = None


@dataclass(frozen=True, slots=True)
class Rubric:
    question_id: str
    version: int
    criteria: tuple[Criterion, ...]
    derivation: Derivation | None = None
    reviewed: bool = False

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def only(self, criterion_id: str) -> Rubric:
        """A rubric restricted to one criterion (weight 1): used to grade a follow-up."""
        c = self.criterion(criterion_id)
        one = Criterion(
            id=c.id, concept=c.concept, statement=c.statement, weight=1.0, partial=c.partial,
            misconception=c.misconception, probe=c.probe, why=c.why, key_terms=c.key_terms,
            practice=c.practice,
        )
        return Rubric(self.question_id, self.version, (one,), self.derivation, self.reviewed)


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: str
    area: str
    difficulty: Difficulty
    companies: tuple[str, ...]
    sample_answer: str
    tags: tuple[str, ...] = ()
    rubric: Rubric | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """A span of the candidate's answer: character offsets [start, end) and the quoted text."""

    start: int
    end: int
    quote: str


@dataclass(frozen=True, slots=True)
class CriterionResult:
    criterion_id: str
    concept: str
    verdict: Verdict
    weight: float
    evidence: Evidence | None = None
    confidence: float = 0.0
    note: str = ""
    # Graded credit inside the verdict's band (see scoring.BANDS); None means the band's default.
    credit: float | None = None
    # Set when a follow-up answer later showed the concept: the original verdict stays as is.
    recovered: bool = False
    # Set by a human override: the judge's verdict as it was first given (None: never overridden).
    ai_verdict: Verdict | None = None


@dataclass(frozen=True, slots=True)
class Provenance:
    judge: str  # "offline" | "llm" | "ensemble"
    model: str
    prompt_version: str
    rubric_version: int
    latency_ms: float
    fallback_used: bool = False
    fallback_reason: str = ""
    tokens: int = 0
    cost_usd: float = 0.0


class ReviewFlag(StrEnum):
    """Grade flags that make a grade provisional until a human has looked at it."""

    NEEDS_REVIEW = "needs_review"  # a judge or a combinator asked for a review outright
    PROMPT_INJECTION = "prompt_injection"  # the answer gives instructions to the grader
    OFF_TOPIC = "off_topic"  # the answer is about something else
    JUDGES_DISAGREE = "judges_disagree"  # the ensemble's judges were far apart
    FALLBACK_USED = "fallback_used"  # the primary judge failed and a fallback graded
    UNCERTAIN = "uncertain"  # the judge's own confidence is low
    CLAIM_CONTRADICTED = "claim_contradicted"  # the claim verifier reads part of it as wrong


REVIEW_FLAGS: frozenset[str] = frozenset(f.value for f in ReviewFlag)


class InfoFlag(StrEnum):
    """Grade flags that inform without making a grade provisional."""

    INSUFFICIENT_EVIDENCE = "insufficient_evidence"  # little in the answer to grade
    QUOTES_DROPPED = "quotes_dropped"  # quotes the LLM judge gave were not in the answer
    CACHED = "cached"  # the same answer was graded before: this is that grade


def review_needed(
    flags: Iterable[str], *, fallback_used: bool = False, overridden: bool = False
) -> bool:
    """Whether a grade is provisional: it carries a review flag or came from a fallback judge,
    and no human has overridden it yet (a reviewer's change is the review)."""
    return not overridden and (fallback_used or any(f in REVIEW_FLAGS for f in flags))


@dataclass(frozen=True, slots=True)
class Grade:
    question_id: str
    score: int  # 0-100, computed in code from the weighted verdicts
    criteria: tuple[CriterionResult, ...]
    judge: str
    feedback: str
    provenance: Provenance | None = None
    flags: tuple[str, ...] = ()
    insufficient_evidence: bool = False
    reason: str = ""
    revision: int = 1
    # Human review: the judge's score before the first override, and whether a human changed it.
    ai_score: int | None = None
    overridden: bool = False
    # Provisional: a human should check it. Derived from the flags on every construction (also of
    # stored grades written before the field existed); a judge may also ask for it outright.
    needs_review: bool = False

    def __post_init__(self) -> None:
        fallback = self.provenance is not None and self.provenance.fallback_used
        flagged = review_needed(self.flags, fallback_used=fallback)
        # Frozen: the one place the field is set after __init__, so every copy agrees with its flags.
        object.__setattr__(self, "needs_review", not self.overridden and (self.needs_review or flagged))
