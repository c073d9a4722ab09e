"""Judge combinators (fallback chain, cache, ensemble) and the typed judge failure; no I/O."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from enum import StrEnum
from typing import Protocol

from interviewer.core.models import (
    Evidence,
    Grade,
    InfoFlag,
    Provenance,
    Question,
    ReviewFlag,
    Rubric,
    Verdict,
)
from interviewer.core.ports import FeedbackSink, Judge
from interviewer.core.text import word_chunks


class JudgeErrorKind(StrEnum):
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"
    UPSTREAM = "upstream"
    INVALID_OUTPUT = "invalid_output"


class JudgeError(Exception):
    """A judge could not produce a grade; `kind` says why, `model` says which judge failed."""

    def __init__(self, kind: JudgeErrorKind | str, message: str = "", *, model: str = "") -> None:
        self.kind = JudgeErrorKind(kind)
        self.model = model
        super().__init__(f"{self.reason}: {message}" if message else self.reason)

    @property
    def reason(self) -> str:
        return f"{self.kind.value} from {self.model or 'judge'}"


async def stream_text(text: str, sink: FeedbackSink | None, *, words: int = 1) -> None:
    """Forward already-final text to a feedback sink in chunks of `words` words."""
    if sink is None:
        return
    for chunk in word_chunks(text, words):
        await sink(chunk)


DOWNGRADE: dict[Verdict, Verdict] = {
    Verdict.MET: Verdict.PARTIAL,
    Verdict.PARTIAL: Verdict.MISSED,
    Verdict.MISSED: Verdict.MISSED,
    Verdict.CONTRADICTED: Verdict.MISSED,
}

_WRAPPING = "\"'“”‘’`«» \t\n"
# A quote shorter than this is no evidence: "a" or "the cache" is found in almost any answer.
MIN_QUOTE_WORDS = 3
_WORD = re.compile(r"\w+")


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _occurrences(haystack: str, needle: str) -> Iterator[int]:
    pos = haystack.find(needle)
    while pos >= 0:
        yield pos
        pos = haystack.find(needle, pos + 1)


def locate_quote(
    answer: str, quote: str, *, skip: Iterable[tuple[int, int]] = (), whole_words: bool = True
) -> Evidence | None:
    """Find a quote in the answer up to whitespace; offsets index the original answer.

    With `whole_words` the quote must start and end on word boundaries ("a" is not found inside
    "am"); an occurrence that overlaps one of the `skip` ranges is passed over.
    """
    kept: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(answer):
        if not ch.isspace():
            kept.append(ch)
            origin.append(i)
        elif kept and kept[-1] != " ":
            kept.append(" ")
            origin.append(i)
    haystack = "".join(kept)
    ranges = tuple(skip)
    # Models often wrap a quote in quotation marks or trail it with an ellipsis.
    for candidate in (quote, quote.strip(_WRAPPING).removesuffix("...").removesuffix("…")):
        needle = " ".join(candidate.split())
        for pos in _occurrences(haystack, needle) if needle else ():
            end = pos + len(needle)
            if whole_words and (
                (pos > 0 and _is_word_char(needle[0]) and _is_word_char(haystack[pos - 1]))
                or (end < len(haystack) and _is_word_char(needle[-1])
                    and _is_word_char(haystack[end]))
            ):
                continue
            start, stop = origin[pos], origin[end - 1] + 1
            if any(a < stop and start < b for a, b in ranges):
                continue
            return Evidence(start=start, end=stop, quote=answer[start:stop])
    return None


def find_evidence(
    answer: str, quote: str, *, skip: Iterable[tuple[int, int]] = ()
) -> tuple[Evidence | None, str]:
    """The quote as evidence in the answer, or None and why it is none.

    Evidence is at least MIN_QUOTE_WORDS words, found on word boundaries, outside the `skip`
    ranges (instructions to the grader).
    """
    ranges = tuple(skip)
    if len(_WORD.findall(quote)) < MIN_QUOTE_WORDS:
        return None, f"the quote is shorter than {MIN_QUOTE_WORDS} words"
    evidence = locate_quote(answer, quote, skip=ranges)
    if evidence is not None:
        return evidence, ""
    if ranges and locate_quote(answer, quote) is not None:
        return None, "the quote is an instruction to the grader, not an answer"
    if locate_quote(answer, quote, whole_words=False) is not None:
        return None, "the quote is only part of a word of the answer"
    return None, "quote not found in the answer"


def ground(
    verdict: Verdict, answer: str, quote: str, *, skip: Iterable[tuple[int, int]] = ()
) -> tuple[Verdict, Evidence | None, str]:
    """Keep a verdict only with a quote that is evidence (see find_evidence); else drop the quote,
    downgrade the verdict one step and say why (the third item, "" when the verdict stands)."""
    evidence, problem = find_evidence(answer, quote, skip=skip)
    if evidence is not None or verdict is Verdict.MISSED:
        return verdict, evidence, ""
    return DOWNGRADE[verdict], None, problem


def _with_fallback(grade: Grade, reasons: Sequence[str]) -> Grade:
    prov = grade.provenance or Provenance(
        judge=grade.judge, model="", prompt_version="", rubric_version=0, latency_ms=0.0
    )
    prov = replace(prov, fallback_used=True, fallback_reason="; ".join(reasons))
    return replace(grade, provenance=prov)


class FallbackJudge:
    """Tries judges in turn, moving on after a JudgeError; meant to end with the offline judge."""

    def __init__(self, judges: Sequence[Judge]) -> None:
        if not judges:
            raise ValueError("FallbackJudge needs at least one judge")
        self.judges = tuple(judges)
        self.name = self.judges[0].name

    async def grade(
        self,
        *,
        question: Question,
        rubric: Rubric,
        answer: str,
        on_feedback: FeedbackSink | None = None,
    ) -> Grade:
        reasons: list[str] = []
        last: JudgeError | None = None
        for judge in self.judges:
            try:
                grade = await judge.grade(
                    question=question, rubric=rubric, answer=answer, on_feedback=on_feedback
                )
            except JudgeError as exc:
                reasons.append(exc.reason)
                last = exc
                continue
            return _with_fallback(grade, reasons) if reasons else grade
        assert last is not None
        raise last


class GradeCache(Protocol):
    """Where CachingJudge keeps grades; async so that a shared store can back it."""

    async def get(self, key: str) -> Grade | None: ...

    async def put(self, key: str, grade: Grade) -> None: ...


class LRUGradeCache:
    """An in-process least-recently-used grade cache."""

    def __init__(self, max_entries: int = 1024) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[str, Grade] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    async def get(self, key: str) -> Grade | None:
        grade = self._items.get(key)
        if grade is not None:
            self._items.move_to_end(key)
        return grade

    async def put(self, key: str, grade: Grade) -> None:
        self._items[key] = grade
        self._items.move_to_end(key)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)


def cache_key(*, rubric: Rubric, answer: str, model: str, prompt_version: str) -> str:
    """sha256 of what determines a grade: rubric identity and version, answer, model, prompt."""
    # The criteria's repr guards against a rubric edited without a version bump.
    material = json.dumps(
        [rubric.question_id, rubric.version, repr(rubric.criteria), answer, model, prompt_version]
    )
    return hashlib.sha256(material.encode()).hexdigest()


class CachingJudge:
    """Serves repeated (rubric, answer) pairs from a cache; fallback grades are never stored."""

    def __init__(
        self, inner: Judge, *, model: str, prompt_version: str, cache: GradeCache | None = None
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.model = model
        self.prompt_version = prompt_version
        self.cache: GradeCache = cache if cache is not None else LRUGradeCache()

    async def grade(
        self,
        *,
        question: Question,
        rubric: Rubric,
        answer: str,
        on_feedback: FeedbackSink | None = None,
    ) -> Grade:
        key = cache_key(
            rubric=rubric, answer=answer, model=self.model, prompt_version=self.prompt_version
        )
        hit = await self.cache.get(key)
        if hit is not None:
            await stream_text(hit.feedback, on_feedback)
            return _as_cached(hit)
        grade = await self.inner.grade(
            question=question, rubric=rubric, answer=answer, on_feedback=on_feedback
        )
        if grade.provenance is None or not grade.provenance.fallback_used:
            await self.cache.put(key, grade)
        return grade


def _as_cached(grade: Grade) -> Grade:
    # A hit costs nothing: zero the spend so that usage metrics do not count it twice.
    prov = grade.provenance
    if prov is not None:
        prov = replace(prov, latency_ms=0.0, tokens=0, cost_usd=0.0)
    flags = grade.flags if InfoFlag.CACHED in grade.flags else (*grade.flags, InfoFlag.CACHED.value)
    return replace(grade, provenance=prov, flags=flags)


class EnsembleJudge:
    """Runs a primary (LLM) and a secondary (offline) judge together; flags large disagreements."""

    name = "ensemble"

    def __init__(self, primary: Judge, secondary: Judge, *, threshold: int = 25) -> None:
        self.primary = primary
        self.secondary = secondary
        self.threshold = threshold

    async def grade(
        self,
        *,
        question: Question,
        rubric: Rubric,
        answer: str,
        on_feedback: FeedbackSink | None = None,
    ) -> Grade:
        started = time.perf_counter()
        first, second = await asyncio.gather(
            self.primary.grade(
                question=question, rubric=rubric, answer=answer, on_feedback=on_feedback
            ),
            self.secondary.grade(question=question, rubric=rubric, answer=answer),
            return_exceptions=True,
        )
        if isinstance(second, BaseException) and not isinstance(second, JudgeError):
            raise second
        if isinstance(first, JudgeError):
            if isinstance(second, BaseException):
                raise second
            await stream_text(second.feedback, on_feedback)
            return self._mark(_with_fallback(second, [first.reason]), started)
        if isinstance(first, BaseException):
            raise first
        if isinstance(second, BaseException):
            return self._mark(first, started)
        flags = first.flags
        if abs(first.score - second.score) > self.threshold:
            far_apart = (ReviewFlag.NEEDS_REVIEW.value, ReviewFlag.JUDGES_DISAGREE.value)
            flags = (*flags, *(f for f in far_apart if f not in flags))
        return self._mark(replace(first, flags=flags), started)

    def _mark(self, grade: Grade, started: float) -> Grade:
        latency_ms = (time.perf_counter() - started) * 1000
        prov = grade.provenance or Provenance(
            judge="ensemble", model="", prompt_version="", rubric_version=0, latency_ms=latency_ms
        )
        prov = replace(prov, judge="ensemble", latency_ms=latency_ms)
        return replace(grade, judge="ensemble", provenance=prov)
