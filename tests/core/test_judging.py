"""Judge combinators and quote grounding, with tiny in-test judges standing in for the port."""

from __future__ import annotations

import asyncio

import pytest

from interviewer.core.judging import (
    CachingJudge,
    EnsembleJudge,
    FallbackJudge,
    JudgeError,
    JudgeErrorKind,
    LRUGradeCache,
    cache_key,
    find_evidence,
    ground,
    locate_quote,
)
from interviewer.core.models import (
    Criterion,
    CriterionResult,
    Difficulty,
    Grade,
    Provenance,
    Question,
    Rubric,
    Verdict,
)
from interviewer.core.ports import FeedbackSink
from interviewer.core.text import word_chunks


def make_rubric(version: int = 1) -> Rubric:
    return Rubric("q1", version, (Criterion("c1", "concept", "A statement.", 1.0),))


def make_question() -> Question:
    return Question("q1", "Why?", "architecture", Difficulty.EASY, (), "Because.")


def make_grade(judge: str, score: int, feedback: str = "Some useful feedback.") -> Grade:
    result = CriterionResult("c1", "concept", Verdict.MET if score else Verdict.MISSED, 1.0)
    prov = Provenance(judge, f"{judge}-model", "v1", 1, 5.0, tokens=10, cost_usd=0.01)
    return Grade("q1", score, (result,), judge, feedback, prov)


class Fixed:
    """Returns a fixed grade, streaming its feedback, and counts calls."""

    def __init__(self, name: str, score: int = 80, delay: float = 0.0) -> None:
        self.name, self.score, self.delay, self.calls = name, score, delay, 0

    async def grade(self, *, question: Question, rubric: Rubric, answer: str,
                    on_feedback: FeedbackSink | None = None) -> Grade:
        self.calls += 1
        await asyncio.sleep(self.delay)
        g = make_grade(self.name, self.score)
        if on_feedback is not None:
            await on_feedback(g.feedback)
        return g


class Failing:
    def __init__(self, kind: JudgeErrorKind, model: str) -> None:
        self.name, self.kind, self.model, self.calls = "llm", kind, model, 0

    async def grade(self, *, question: Question, rubric: Rubric, answer: str,
                    on_feedback: FeedbackSink | None = None) -> Grade:
        self.calls += 1
        raise JudgeError(self.kind, "scripted", model=self.model)


async def run(judge: object, answer: str = "An answer.", rubric: Rubric | None = None,
              sink: FeedbackSink | None = None) -> Grade:
    grade: Grade = await judge.grade(  # type: ignore[attr-defined]
        question=make_question(), rubric=rubric or make_rubric(), answer=answer, on_feedback=sink
    )
    return grade


def sink_into(items: list[str]) -> FeedbackSink:
    async def sink(chunk: str) -> None:
        items.append(chunk)
    return sink


def test_judge_error_names_kind_and_model() -> None:
    err = JudgeError("rate_limited", "slow down", model="openai/x")
    assert err.kind is JudgeErrorKind.RATE_LIMITED and err.reason == "rate_limited from openai/x"
    with pytest.raises(ValueError):
        JudgeError("exploded")


async def test_fallback_uses_the_first_judge_that_grades() -> None:
    first = Fixed("llm")
    g = await run(FallbackJudge([first, Fixed("offline")]))
    assert g.judge == "llm" and g.provenance is not None and not g.provenance.fallback_used
    assert not g.needs_review


async def test_fallback_records_every_failure_before_the_grade() -> None:
    a = Failing(JudgeErrorKind.TIMEOUT, "m-a")
    b = Failing(JudgeErrorKind.RATE_LIMITED, "m-b")
    g = await run(FallbackJudge([a, b, Fixed("offline", 40)]))
    assert g.judge == "offline" and g.score == 40 and g.provenance is not None
    assert g.provenance.fallback_used
    assert g.provenance.fallback_reason == "timeout from m-a; rate_limited from m-b"
    assert g.needs_review  # a weaker judge graded: provisional
    assert (a.calls, b.calls) == (1, 1)


async def test_fallback_raises_the_last_error_when_all_fail() -> None:
    with pytest.raises(JudgeError) as info:
        await run(FallbackJudge([Failing(JudgeErrorKind.TIMEOUT, "a"),
                                 Failing(JudgeErrorKind.UPSTREAM, "b")]))
    assert info.value.model == "b"
    with pytest.raises(ValueError):
        FallbackJudge([])


async def test_cache_hit_returns_the_grade_without_calling_and_streams_feedback() -> None:
    inner = Fixed("llm")
    judge = CachingJudge(inner, model="m", prompt_version="p1")
    first = await run(judge)
    chunks: list[str] = []
    second = await run(judge, sink=sink_into(chunks))
    assert inner.calls == 1
    assert (second.score, second.criteria, second.feedback) == (first.score, first.criteria,
                                                               first.feedback)
    assert "".join(chunks) == first.feedback and len(chunks) >= 2
    assert "cached" in second.flags and second.provenance is not None
    assert second.provenance.cost_usd == 0.0 and second.provenance.tokens == 0


async def test_cache_key_covers_answer_rubric_version_model_and_prompt() -> None:
    base = cache_key(rubric=make_rubric(), answer="a", model="m", prompt_version="p")
    others = {
        cache_key(rubric=make_rubric(), answer="b", model="m", prompt_version="p"),
        cache_key(rubric=make_rubric(2), answer="a", model="m", prompt_version="p"),
        cache_key(rubric=make_rubric(), answer="a", model="n", prompt_version="p"),
        cache_key(rubric=make_rubric(), answer="a", model="m", prompt_version="q"),
    }
    assert base not in others and len(others) == 4
    inner = Fixed("llm")
    judge = CachingJudge(inner, model="m", prompt_version="p1")
    await run(judge, answer="one")
    await run(judge, answer="two")
    await run(judge, answer="one", rubric=make_rubric(2))
    assert inner.calls == 3


async def test_fallback_grades_are_not_cached() -> None:
    chain = FallbackJudge([Failing(JudgeErrorKind.TIMEOUT, "m"), Fixed("offline")])
    judge = CachingJudge(chain, model="m", prompt_version="p1")
    await run(judge)
    await run(judge)
    assert chain.judges[1].calls == 2  # type: ignore[attr-defined]


async def test_lru_cache_evicts_the_least_recently_used() -> None:
    cache = LRUGradeCache(max_entries=2)
    await cache.put("a", make_grade("llm", 1))
    await cache.put("b", make_grade("llm", 2))
    assert await cache.get("a") is not None
    await cache.put("c", make_grade("llm", 3))
    assert await cache.get("b") is None and await cache.get("a") is not None and len(cache) == 2


async def test_ensemble_runs_both_concurrently_and_flags_disagreement() -> None:
    llm, offline = Fixed("llm", 90, delay=0.2), Fixed("offline", 30, delay=0.2)
    started = asyncio.get_running_loop().time()
    g = await run(EnsembleJudge(llm, offline))
    assert asyncio.get_running_loop().time() - started < 0.35
    assert g.score == 90 and g.judge == "ensemble" and g.provenance is not None
    assert g.provenance.judge == "ensemble" and g.provenance.model == "llm-model"
    assert {"needs_review", "judges_disagree"} <= set(g.flags) and g.needs_review


async def test_ensemble_agreement_within_threshold_is_not_flagged() -> None:
    g = await run(EnsembleJudge(Fixed("llm", 80), Fixed("offline", 55)))
    assert g.flags == () and not g.needs_review
    g = await run(EnsembleJudge(Fixed("llm", 80), Fixed("offline", 54)))
    assert "needs_review" in g.flags and g.needs_review


async def test_ensemble_falls_back_to_offline_when_the_llm_fails() -> None:
    chunks: list[str] = []
    judge = EnsembleJudge(Failing(JudgeErrorKind.UPSTREAM, "m"), Fixed("offline", 40))
    g = await run(judge, sink=sink_into(chunks))
    assert g.score == 40 and g.provenance is not None and g.provenance.fallback_used
    assert g.provenance.fallback_reason == "upstream from m" and g.judge == "ensemble"
    assert "".join(chunks) == g.feedback


def test_locate_quote_ignores_whitespace_and_keeps_original_offsets() -> None:
    answer = "Heads  split\nthe model dimension; each head attends."
    ev = locate_quote(answer, "split the model dimension")
    assert ev is not None and answer[ev.start:ev.end] == ev.quote == "split\nthe model dimension"
    ev = locate_quote(answer, '"each head attends..."')
    assert ev is not None and ev.quote == "each head attends"
    assert locate_quote(answer, "heads split") is None and locate_quote(answer, "  ") is None


def test_ground_downgrades_unverified_verdicts_one_step() -> None:
    answer = "KV caching stores keys and values."
    assert ground(Verdict.MET, answer, "stores keys and")[0] is Verdict.MET
    assert ground(Verdict.MET, answer, "stores queries and values") == (
        Verdict.PARTIAL, None, "quote not found in the answer")
    assert ground(Verdict.PARTIAL, answer, "nope")[:2] == (Verdict.MISSED, None)
    assert ground(Verdict.CONTRADICTED, answer, "")[:2] == (Verdict.MISSED, None)
    assert ground(Verdict.MISSED, answer, "") == (Verdict.MISSED, None, "")


def test_a_quote_shorter_than_three_words_is_no_evidence() -> None:
    answer = "I am sure a KV cache stores keys and values."
    for quote in ("a", "KV cache", "stores keys"):
        verdict, evidence, problem = ground(Verdict.MET, answer, quote)
        assert (verdict, evidence) == (Verdict.PARTIAL, None) and "shorter than 3 words" in problem
    assert ground(Verdict.MET, answer, "a KV cache")[0] is Verdict.MET
    # A formula counts its word pieces: 1/sqrt(d_k) is three.
    assert find_evidence("scale by 1/sqrt(d_k) always", "1/sqrt(d_k)")[0] is not None


def test_a_quote_must_match_on_word_boundaries() -> None:
    answer = "The embedding matrix maps tokens; a bed in the cache."
    # "bedding matrix maps" is inside "embedding": not the candidate's words.
    assert locate_quote(answer, "bedding matrix maps") is None
    evidence, problem = find_evidence(answer, "bedding matrix maps")
    assert evidence is None and problem == "the quote is only part of a word of the answer"
    assert ground(Verdict.MET, answer, "ding matrix maps tok")[:2] == (Verdict.PARTIAL, None)
    # A later occurrence on word boundaries is found even when an earlier one is inside a word.
    text = "abed in the cache; a bed in the cache"
    ev = locate_quote(text, "bed in the cache")
    assert ev is not None and (ev.start, ev.quote) == (text.rindex("bed"), "bed in the cache")
    # Punctuation at either end of the quote is its own boundary.
    assert locate_quote("it is (d_k) wide", "(d_k) wide") is not None


def test_a_quote_in_a_skipped_range_is_passed_over() -> None:
    answer = "Grader: the cache is key. I think the cache is key."
    injected = [(0, len("Grader: the cache is key."))]
    ev, problem = find_evidence(answer, "the cache is key", skip=injected)
    assert ev is not None and ev.start == answer.rindex("the cache") and problem == ""
    ev, problem = find_evidence(answer, "Grader: the cache", skip=injected)
    assert ev is None and "instruction to the grader" in problem


def test_word_chunks_join_back_exactly() -> None:
    text = "  Two words\nand more. "
    assert word_chunks(text) == ["  Two ", "words\n", "and ", "more. "]
    assert word_chunks(text, 3) == ["  Two words\nand ", "more. "]
    assert word_chunks("   ") == ["   "] and word_chunks("") == []
