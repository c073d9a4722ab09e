"""Pydantic models of the bank's YAML files (questions/*.yaml, rubrics/*.yaml, bank.yaml)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from interviewer.core.models import COMPANIES, Area, Difficulty

SLUG = r"^[a-z0-9][a-z0-9-]*$"
WEIGHT_TOLERANCE = 1e-6


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QuestionFile(_Strict):
    """One question as written in `questions/<area>.yaml`."""

    id: str = Field(pattern=SLUG, max_length=80)
    area: Area
    difficulty: Difficulty
    companies: list[str] = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    text: str = Field(min_length=10, max_length=2000)
    sample_answer: str = Field(min_length=20, max_length=4000)

    @field_validator("companies")
    @classmethod
    def _known_companies(cls, v: list[str]) -> list[str]:
        unknown = [c for c in v if c not in COMPANIES]
        if unknown:
            raise ValueError(f"unknown companies {unknown}; allowed: {list(COMPANIES)}")
        return v


class QuestionsFile(_Strict):
    questions: list[QuestionFile]


class CriterionFile(_Strict):
    id: str = Field(pattern=SLUG, max_length=60)
    concept: str = Field(min_length=2, max_length=120)
    statement: str = Field(min_length=5)
    partial: str = ""
    misconception: str = ""
    probe: str = ""
    why: str = ""
    weight: float = Field(gt=0, le=1)
    key_terms: list[str] = Field(default_factory=list)
    # Question ids of the same bank (or `ns:local` of another), best first; `bank lint` checks them.
    practice: list[str] = Field(default_factory=list)


class DerivationFile(_Strict):
    method: Literal["manual", "offline", "llm"]
    sample_answer_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    model: str | None = None
    derived_at: str | None = None


class RubricFile(_Strict):
    """A rubric as written in `rubrics/<question_id>.yaml`."""

    question_id: str = Field(pattern=SLUG)
    version: int = Field(ge=1)
    derivation: DerivationFile
    reviewed: bool = False
    criteria: list[CriterionFile] = Field(min_length=1, max_length=6)

    @model_validator(mode="after")
    def _weights_and_ids(self) -> RubricFile:
        total = sum(c.weight for c in self.criteria)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            raise ValueError(f"criterion weights sum to {total:.6f}, not 1")
        ids = [c.id for c in self.criteria]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate criterion ids in {ids}")
        return self


class BankFile(_Strict):
    """Optional `bank.yaml` at a bank's root: its namespace for question ids."""

    namespace: str = Field(default="", pattern=r"^([a-z0-9][a-z0-9-]*)?$")
    title: str = ""


def namespaced(namespace: str, local_id: str) -> str:
    """The public id of a question: `ns:local` for extra banks, bare for the built-in bank."""
    return f"{namespace}:{local_id}" if namespace else local_id





