"""Rubric derivation by an LLM (through llm_client): schema-bound criteria from a sample answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from interviewer.adapters.judge.llm_client import LLMClient, Spend, json_body
from interviewer.core.models import Criterion, Derivation, Question, Rubric
from interviewer.core.rubric_derive import normalised_weights, unique_slug

PROMPT_VERSION = "rubric-llm-v1"
MIN_CRITERIA, MAX_CRITERIA = 3, 6
_LIMITS = {"id": 40, "concept": 80, "statement": 320, "partial": 200, "misconception": 200,
           "probe": 200, "why": 160}

_SYSTEM = """You write grading rubrics for technical interview questions about LLM and \
Transformer engineering. From the question and its sample answer, write {low} to {high} criteria: \
the distinct concepts a complete answer states, each checkable on its own.

For each criterion give:
- "id": a short lower-case slug (letters, digits, hyphens), unique in the rubric;
- "concept": a name of at most six words;
- "statement": one sentence that a correct answer states, faithful to the sample answer;
- "partial": what an incomplete answer says that earns partial credit;
- "misconception": a plausible wrong claim that contradicts the statement;
- "probe": a follow-up question that asks for the concept without giving it away;
- "why": why the concept matters for this question;
- "weight": its share of the grade, a number between 0 and 1 (weights should sum to 1);
- "key_terms": two to five terms an answer stating the concept would use.
Use only what the sample answer supports. Reply with one JSON object only, matching this JSON \
schema: {schema}"""

_USER = """Question: {question}

Sample answer: {sample_answer}"""


class _CriterionDraft(BaseModel):
    id: str = Field(min_length=1)
    concept: str = Field(min_length=2, max_length=120)
    statement: str = Field(min_length=5)
    partial: str = ""
    misconception: str = ""
    probe: str = ""
    why: str = ""
    weight: float = Field(gt=0)  # normalised in code: models write shares, percents or points
    key_terms: list[str] = Field(default_factory=list)


class _RubricDraft(BaseModel):
    criteria: list[_CriterionDraft] = Field(min_length=MIN_CRITERIA, max_length=MAX_CRITERIA)


def rubric_schema() -> dict[str, Any]:
    """The JSON schema the model must fill (bounded strings and counts)."""
    props: dict[str, Any] = {k: {"type": "string", "maxLength": n} for k, n in _LIMITS.items()}
    props["weight"] = {"type": "number"}
    props["key_terms"] = {"type": "array", "items": {"type": "string", "maxLength": 40},
                          "maxItems": 6}
    item = {"type": "object", "properties": props, "required": list(props),
            "additionalProperties": False}
    return {
        "type": "object",
        "properties": {"criteria": {"type": "array", "items": item, "minItems": MIN_CRITERIA,
                                    "maxItems": MAX_CRITERIA}},
        "required": ["criteria"],
        "additionalProperties": False,
    }


def build_messages(question: Question) -> list[dict[str, str]]:
    """The instructions and schema (system), then the question and its sample answer."""
    system = _SYSTEM.format(low=MIN_CRITERIA, high=MAX_CRITERIA, schema=json.dumps(rubric_schema()))
    user = _USER.format(question=question.text, sample_answer=question.sample_answer)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def parse(text: str) -> _RubricDraft:
    """The validated draft (ValueError, for a repair, when the reply breaks the schema)."""
    body = json_body(text)
    try:  # strict=False: raw newlines in strings (llama.cpp grammars allow them) are accepted
        return _RubricDraft.model_validate(json.loads(body, strict=False))
    except ValidationError as exc:
        raise ValueError(str(exc)) from exc


def to_rubric(
    draft: _RubricDraft, *, question_id: str, sample_hash: str, model: str, version: int
) -> Rubric:
    """A core rubric: slug ids made unique, weights normalised to sum to exactly 1."""
    weights = normalised_weights([c.weight for c in draft.criteria])
    used: set[str] = set()
    criteria: list[Criterion] = []
    for c, weight in zip(draft.criteria, weights, strict=True):
        cid = unique_slug(c.id or c.concept, used)
        criteria.append(Criterion(
            id=cid, concept=c.concept.strip(), statement=c.statement.strip(), weight=weight,
            partial=c.partial.strip(), misconception=c.misconception.strip(), probe=c.probe.strip(),
            why=c.why.strip(), key_terms=tuple(t.strip() for t in c.key_terms if t.strip()),
        ))
    today = datetime.now(UTC).date().isoformat()
    derivation = Derivation("llm", sample_hash, model=model, derived_at=today)
    return Rubric(question_id, version, tuple(criteria), derivation, reviewed=False)


class LLMRubricDeriver:
    """Derives a draft rubric with one LLM call (plus one repair when the reply is invalid)."""

    def __init__(self, client: LLMClient) -> None:
        self.client = client
        self.model = client.model

    async def derive(self, *, question: Question, sample_hash: str, version: int) -> Rubric:
        """Raises JudgeError when the model fails or twice breaks the schema."""
        draft = await self.client.complete_json(
            build_messages(question), schema=rubric_schema(), name="rubric", parse=parse,
            task="for the same question", spend=Spend(),
        )
        return to_rubric(draft, question_id=question.id, sample_hash=sample_hash, model=self.model,
                         version=version)
