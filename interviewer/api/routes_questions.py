"""Question bank routes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from interviewer.api.deps import QuestionReader, ServicesDep
from interviewer.core.models import Question
from interviewer.schemas.rest import (
    CriterionRead,
    QuestionList,
    QuestionRead,
    RubricRead,
    SearchItem,
    SearchResults,
    errors,
)
from interviewer.service.questions import filter_bank, question_for

router = APIRouter(prefix="/v1/questions", tags=["questions"])


def question_read(q: Question, *, include_rubric: bool) -> QuestionRead:
    out = QuestionRead(
        id=q.id, text=q.text, topic=q.area, difficulty=q.difficulty.value,
        companies=list(q.companies), tags=list(q.tags),
    )
    if include_rubric and q.rubric is not None:
        r = q.rubric
        out.sample_answer = q.sample_answer
        out.rubric = RubricRead(
            version=r.version, reviewed=r.reviewed,
            derivation_method=r.derivation.method if r.derivation else None,
            criteria=[CriterionRead(
                id=c.id, concept=c.concept, statement=c.statement, partial=c.partial,
                misconception=c.misconception, probe=c.probe, why=c.why, weight=c.weight,
                practice=list(c.practice),
            ) for c in r.criteria],
        )
    return out


@router.get("", response_model=QuestionList, responses=errors())
def list_questions(
    svc: ServicesDep,
    principal: QuestionReader,
    company: str | None = None,
    difficulty: Literal["easy", "medium", "hard"] | None = None,
    topic: str | None = None,
    tag: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> QuestionList:
    """Filter the bank; `facets` counts the matches per company, difficulty and topic."""
    found = filter_bank(svc.bank, company=company, difficulty=difficulty,
                        topics=[topic] if topic else [], tag=tag)
    items = [question_read(q, include_rubric=False) for q in found.hits[offset: offset + limit]]
    return QuestionList(items=items, total=len(found.hits), limit=limit, offset=offset,
                        facets=found.facets)


@router.get("/search", response_model=SearchResults, responses=errors())
async def search_questions(
    svc: ServicesDep,
    principal: QuestionReader,
    q: Annotated[str, Query(min_length=2, max_length=500, description="free text")],
    k: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SearchResults:
    """Semantic search over the bank's questions and concepts (rubric criteria)."""
    items = []
    for hit in await svc.retriever.search(q, k):
        question = svc.bank.get(hit.question_id)
        items.append(SearchItem(
            kind="concept" if hit.kind == "concept" else "question", question_id=hit.question_id,
            criterion_id=hit.criterion_id or None, text=hit.text, concept=hit.concept or None,
            topic=question.area, difficulty=question.difficulty.value, score=round(hit.score, 4),
        ))
    return SearchResults(query=q, items=items)


@router.get("/{question_id}", response_model=QuestionRead, responses=errors(404))
async def get_question(
    question_id: str, svc: ServicesDep, principal: QuestionReader,
    include: Literal["rubric"] | None = None,
) -> QuestionRead:
    """One question (the bank's, or your organisation's own); `include=rubric` adds its rubric."""
    q = await question_for(svc, principal.org_id, question_id)
    return question_read(q, include_rubric=include == "rubric")
