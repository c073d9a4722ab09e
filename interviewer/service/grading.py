"""Grading outside an interview: a bank question, or a partner's own question and sample answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from interviewer import metrics
from interviewer.core.models import Difficulty, Grade, Question, Rubric, content_digest
from interviewer.core.ports import FeedbackSink
from interviewer.core.topic import mark_off_topic
from interviewer.errors import AnswerTooLong, BadRequest, Busy, InterviewerError
from interviewer.service.container import Services


async def judge(
    svc: Services, *, question: Question, rubric: Rubric, answer: str,
    on_feedback: FeedbackSink | None = None, check_topic: bool = True,
) -> Grade:
    """The configured judge's grade, counted by judge and outcome, its latency observed.

    A main answer (`check_topic`; not a follow-up, whose probe may come from another question)
    that is much closer to another bank question's concepts than to its own earns nothing and is
    flagged `off_topic` (core.topic).
    """
    t0 = time.perf_counter()
    try:
        grade = await svc.judge.grade(question=question, rubric=rubric, answer=answer,
                                      on_feedback=on_feedback)
    except Busy:
        metrics.GRADES.labels(judge=svc.judge.name, outcome="busy").inc()
        raise
    except Exception:
        metrics.GRADES.labels(judge=svc.judge.name, outcome="failed").inc()
        raise
    if check_topic and grade.score > 0:
        topic = await svc.retriever.topic(question=question, rubric=rubric, answer=answer)
        if topic is not None and topic.off_topic:
            grade = mark_off_topic(grade, rubric, topic)
    outcome = "fallback" if grade.provenance is not None and grade.provenance.fallback_used else "ok"
    metrics.GRADES.labels(judge=grade.judge, outcome=outcome).inc()
    metrics.JUDGE_LATENCY.labels(judge=grade.judge).observe(time.perf_counter() - t0)
    return grade


def adhoc_question(text: str, sample_answer: str) -> Question:
    """A partner's question, identified by the hash of its text and sample answer."""
    digest = content_digest(text, sample_answer)
    return Question(
        id=f"adhoc:{digest}", text=text.strip(), area="custom", difficulty=Difficulty.MEDIUM,
        companies=(), sample_answer=sample_answer.strip(),
    )


async def grade_answer(
    svc: Services,
    *,
    answer: str,
    question_id: str | None = None,
    question: str | None = None,
    sample_answer: str | None = None,
) -> tuple[Question, Grade]:
    """Grade one answer; the rubric is the bank's, or derived from the sample answer (cached)."""
    limit = svc.settings.max_answer_chars
    if len(answer) > limit:
        raise AnswerTooLong(f"answers are limited to {limit} characters (got {len(answer)})")
    if question_id is not None:
        q = svc.bank.get(question_id)
    else:
        assert question is not None and sample_answer is not None
        q = adhoc_question(question, sample_answer)
    rubric = await svc.rubrics.get_async(q)
    grade = await judge(svc, question=q, rubric=rubric, answer=answer)
    return q, grade


@dataclass(frozen=True, slots=True)
class GradeItem:
    answer: str
    question_id: str | None = None
    question: str | None = None
    sample_answer: str | None = None


async def grade_many(
    svc: Services, *, items: Sequence[GradeItem], concurrency: int = 8
) -> list[tuple[Question, Grade] | InterviewerError]:
    """Grade up to `grade_batch_max` answers concurrently; one failure does not fail the others."""
    if len(items) > svc.settings.grade_batch_max:
        raise BadRequest(f"a batch holds at most {svc.settings.grade_batch_max} items (got {len(items)})")
    sem = asyncio.Semaphore(concurrency)

    async def one(it: GradeItem) -> tuple[Question, Grade] | InterviewerError:
        async with sem:
            try:
                return await grade_answer(svc, answer=it.answer, question_id=it.question_id,
                                          question=it.question, sample_answer=it.sample_answer)
            except InterviewerError as exc:
                return exc

    return list(await asyncio.gather(*(one(it) for it in items)))
