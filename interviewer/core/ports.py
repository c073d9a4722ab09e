"""Ports: what the core needs from the outside world, as Protocols (the encoder, a judge, the
bank, retrieval). The ports of the service layer (stores, events, admin records, the sandbox,
webhook delivery) are in interviewer/service/ports.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from interviewer.core.models import Grade, Question, Rubric
from interviewer.core.topic import TopicScores

FeedbackSink = Callable[[str], Awaitable[None]]
Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class TokenVectors:
    """Contextual embeddings of one text's word pieces (no special tokens), L2-normalised rows."""

    tokens: tuple[str, ...]
    vectors: Vectors


class Encoder(Protocol):
    """Sentence embeddings, L2-normalised, one row per text."""

    name: str

    def encode(self, texts: Sequence[str]) -> Vectors: ...

    def encode_tokens(self, texts: Sequence[str]) -> list[TokenVectors]:
        """Per-token contextual vectors; texts already passed to `encode` cost no model call."""
        ...


class Judge(Protocol):
    """Grades an answer against a rubric. Implementations must not invent scores."""

    name: str

    async def grade(
        self,
        *,
        question: Question,
        rubric: Rubric,
        answer: str,
        on_feedback: FeedbackSink | None = None,
    ) -> Grade: ...


class QuestionBank(Protocol):
    def get(self, question_id: str) -> Question: ...

    def all(self) -> Sequence[Question]: ...

    @property
    def content_hash(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Probe:
    """A follow-up question aimed at one concept of a rubric."""

    question_id: str
    criterion_id: str
    concept: str
    text: str
    score: float


@dataclass(frozen=True, slots=True)
class Practice:
    """A bank question to practise a concept with."""

    question_id: str
    text: str
    score: float


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A semantic search result: a question, or one concept (rubric criterion) of a question."""

    kind: str  # "question" | "concept"
    question_id: str
    criterion_id: str
    text: str
    concept: str
    score: float


class Retriever(Protocol):
    async def probe_for(
        self, *, question: Question, criterion_id: str, answer: str, exclude: frozenset[str]
    ) -> Probe | None:
        """The follow-up that best targets a missed criterion, or None."""
        ...

    async def practice_for(
        self, *, question: Question, criterion_id: str, exclude: frozenset[str], k: int = 2
    ) -> list[Practice]:
        """Bank questions to practise a missed concept with."""
        ...

    async def search(self, text: str, k: int) -> list[SearchHit]:
        """Semantic search over questions and concepts, best first."""
        ...

    async def topic(self, *, question: Question, rubric: Rubric, answer: str) -> TopicScores | None:
        """How close an answer is to its own rubric and to the closest other bank question."""
        ...
