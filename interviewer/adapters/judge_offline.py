"""Offline judge: sentence and window embeddings, key terms and a fitted calibration, no LLM."""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.core.models import (
    Criterion,
    CriterionResult,
    Evidence,
    Grade,
    Provenance,
    Question,
    Rubric,
    Verdict,
)
from interviewer.core.ports import Encoder, FeedbackSink, Vectors
from interviewer.core.scoring import score
from interviewer.core.text import (
    STOPWORDS,
    Span,
    content_stems,
    find_injections,
    is_relational,
    is_term_list,
    no_language,
    split_sentences,
    stem,
    windows,
    words,
    wordset,
)

DEFAULT_CALIBRATION = Path(__file__).resolve().parent.parent / "calibration" / "offline-v1.json"
FEATURES = ("best", "soft", "terms", "overlap", "relevance")
# Words about the exchange itself: they add no content to a restated question.
META_STEMS = frozenset(stem(w) for w in wordset("question asked ask answer about topic means"))
MAX_WORDS = 96
RELEVANCE = FEATURES.index("relevance")
NEGATIONS = frozenset({"not", "no", "never", "cannot", "can't", "don't", "doesn't", "isn't"})
WINDOW_SIZES = (2, 3)
TERM_LIST_CAP = 0.18  # a bare list of terms states no relation: at most a low "missed"
MET_AT, PARTIAL_AT = 0.8, 0.25


@dataclass(frozen=True, slots=True)
class Calibration:
    """Fitted parameters mapping criterion features to credit (see scripts/fit_calibration.py)."""

    version: int = 0
    mean: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0, 0.0)
    std: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0)
    coef: tuple[float, ...] = (4.0, 2.0, 1.0, 1.0, 1.0)
    intercept: float = -1.0
    question_penalty: float = 0.0
    gate: tuple[float, float] = (0.25, 0.45)
    contradiction_margin: float = 0.1

    @classmethod
    def load(cls, path: Path) -> Calibration:
        """Read a calibration file written by the fitting script."""
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        p = raw["params"]
        return cls(
            version=int(raw["version"]), mean=tuple(p["mean"]), std=tuple(p["std"]),
            coef=tuple(p["coef"]), intercept=float(p["intercept"]),
            question_penalty=float(p["question_penalty"]), gate=(p["gate"][0], p["gate"][1]),
            contradiction_margin=float(p["contradiction_margin"]),
        )

    def credit(self, feats: np.ndarray) -> float:
        """Credit in [0, 1]: a monotone logistic of the features times the relevance gate."""
        # The gate is on relevance (closeness to the statement or the question): text about
        # something else earns nothing, whatever the calibration learnt from on-topic answers.
        z = (feats - np.asarray(self.mean)) / np.asarray(self.std)
        logit = float(np.dot(np.asarray(self.coef), z) + self.intercept)
        lo, hi = self.gate
        gate = min(1.0, max(0.0, (float(feats[RELEVANCE]) - lo) / (hi - lo)))
        return gate / (1.0 + math.exp(-logit))


@dataclass(frozen=True, slots=True)
class Units:
    """Gradable pieces of an answer: sentences and windows, minus instructions to the grader."""

    spans: tuple[Span, ...]
    usable: np.ndarray  # bool per span: says more than the question does
    relational: np.ndarray  # bool per span: states a relation (not a bare term list)
    words: tuple[str, ...]  # content words of the usable sentences
    rel_words: tuple[str, ...]  # content words of the usable relational sentences
    injected: bool

    def stems(self, relational: bool) -> frozenset[str]:
        """Stems of the usable (relational) sentences' content words."""
        return frozenset(stem(w) for w in (self.rel_words if relational else self.words))


@dataclass(frozen=True, slots=True)
class CriterionFeatures:
    """What the judge measured for one criterion: features, evidence unit, contradiction."""

    values: np.ndarray  # FEATURES, in order
    best_unit: int  # -1 when no unit is usable
    relational_ok: bool
    contradicted_by: int | None


def restates_question(text: str, question_stems: set[str]) -> bool:
    """True when a unit has content words and none is new: it only restates the question."""
    own = set(content_stems(text)) - META_STEMS
    return bool(own) and own <= question_stems


def _content_words(spans: list[Span]) -> tuple[str, ...]:
    found = (w for sp in spans for w in words(sp.text) if w not in STOPWORDS and len(w) > 1)
    return tuple(dict.fromkeys(found))[:MAX_WORDS]


def answer_units(answer: str, question: str) -> Units:
    """Split an answer into sentences and sliding windows; drop injected sentences."""
    sentences = split_sentences(answer)
    spans_inj = find_injections(answer)
    clean = [s for s in sentences if not any(a < s.end and s.start < b for a, b in spans_inj)]
    units = list(clean)
    for size in WINDOW_SIZES:
        units.extend(windows(answer, clean, size))
    q_stems = set(content_stems(question))
    usable = np.array([not restates_question(u.text, q_stems) for u in units], dtype=bool)
    relational = np.array([not is_term_list(u.text) for u in units], dtype=bool)
    good = [u for u, ok in zip(clean, usable, strict=False) if ok]
    rel = [u for u in good if not is_term_list(u.text)]
    return Units(tuple(units), usable, relational, _content_words(good), _content_words(rel),
                 bool(spans_inj))


def _term_coverage(terms: tuple[str, ...], stems: frozenset[str]) -> float:
    if not terms:
        return 0.0
    hits = sum(all(stem(w) in stems for w in t.split()) for t in terms)
    return hits / len(terms)


def statement_words(statement: str, question: str) -> list[str]:
    """Content words of a statement that the question does not already contain."""
    q_stems = set(content_stems(question))
    own = [w for w in words(statement) if w not in STOPWORDS and len(w) > 1]
    novel = [w for w in own if stem(w) not in q_stems]
    return list(dict.fromkeys(novel or own))


@dataclass(frozen=True, slots=True)
class Embedded:
    """Vectors of one grade: answer units and words, and the fixed texts (cached) by text."""

    units: Vectors
    words: dict[str, np.ndarray]
    question: np.ndarray
    texts: dict[str, np.ndarray]


def _soft_alignment(targets: list[str], answer_words: tuple[str, ...], vecs: Embedded) -> float:
    """Mean over the statement's words of their best cosine with any answer word."""
    if not targets or not answer_words:
        return 0.0
    a = np.stack([vecs.words[w] for w in answer_words])
    t = np.stack([vecs.texts[w] for w in targets])
    return float(np.mean(np.max(t @ a.T, axis=1)))


def criterion_features(
    c: Criterion, question: str, units: Units, vecs: Embedded, cal: Calibration
) -> CriterionFeatures:
    """Max-pooled similarities, word alignment and key-term coverage for one criterion."""
    need_rel = is_relational(c.statement)
    mask = units.usable & units.relational if need_rel else units.usable
    relational_ok = bool(mask.any())
    if not relational_ok:
        mask = units.usable
    if not mask.any():
        return CriterionFeatures(np.zeros(len(FEATURES)), -1, False, None)
    sim = vecs.units @ vecs.texts[c.statement]
    qsim = vecs.units @ vecs.question
    adj = sim - cal.question_penalty * np.maximum(0.0, qsim - sim)
    pool = np.where(mask, adj, -1.0)
    best_i = int(np.argmax(pool))
    relevance = float(np.max(np.where(units.usable, np.maximum(sim, qsim), -1.0)))
    rel = need_rel and relational_ok
    answer_words = units.rel_words if rel else units.words
    values = np.array([
        float(pool[best_i]),
        _soft_alignment(statement_words(c.statement, question), answer_words, vecs),
        _term_coverage(c.key_terms, units.stems(rel)),
        _term_coverage(tuple(statement_words(c.statement, question)), units.stems(rel)),
        relevance,
    ])
    contradicted = _contradiction(c, units, vecs, sim, cal, question)
    return CriterionFeatures(values, best_i, relational_ok, contradicted)


def _flip_stems(c: Criterion, question: str) -> set[str]:
    """Stems that turn the statement into the misconception ('not', 'decreas', 'weight')."""
    mis = set(content_stems(c.misconception)) | (set(words(c.misconception)) & NEGATIONS)
    keep = set(content_stems(c.statement)) | set(content_stems(question))
    return mis - keep - (set(words(c.statement)) & NEGATIONS)


def _margin_scale(flips: set[str], own: set[str], toks: set[str]) -> float:
    """How much closer to the misconception a unit must be, given the words it shares with it.

    A content word of the misconception ('diverges', 'weights') is strong evidence; a bare
    negation is weak (embeddings barely register 'not'); no shared word needs a wide margin.
    """
    if flips & own - NEGATIONS:
        return 0.35
    if flips & NEGATIONS and toks & NEGATIONS:
        return 1.0
    return 2.5


def _contradiction(
    c: Criterion, units: Units, vecs: Embedded, sim: np.ndarray, cal: Calibration, question: str
) -> int | None:
    """A usable unit much closer to the misconception than to the statement, if any."""
    if not c.misconception:
        return None
    msim = vecs.units @ vecs.texts[c.misconception]
    flips = _flip_stems(c, question)
    for i in np.argsort(-msim):
        if msim[i] < 0.5:
            break
        if not (units.relational[i] and units.usable[i]):
            continue
        toks = set(words(units.spans[i].text))
        own = {stem(w) for w in toks} | (toks & NEGATIONS)
        margin = float(msim[i] - sim[i])
        if margin >= cal.contradiction_margin * _margin_scale(flips, own, toks):
            return int(i)
    return None


def extract(
    encoder: Encoder, question: Question, rubric: Rubric, units: Units, cal: Calibration
) -> list[CriterionFeatures]:
    """Features of every criterion; one encoder call for the answer (rubric texts are cached)."""
    fixed = [question.text]
    for c in rubric.criteria:
        fixed.append(c.statement)
        if c.misconception:
            fixed.append(c.misconception)
        fixed.extend(statement_words(c.statement, question.text))
    fixed = list(dict.fromkeys(fixed))
    answer_words = list(dict.fromkeys(units.words + units.rel_words))
    mat = encoder.encode(fixed + [u.text for u in units.spans] + answer_words)
    n_fixed, n_units = len(fixed), len(units.spans)
    vecs = Embedded(
        units=mat[n_fixed: n_fixed + n_units],
        words={w: mat[n_fixed + n_units + i] for i, w in enumerate(answer_words)},
        question=mat[0], texts={t: mat[i] for i, t in enumerate(fixed)},
    )
    return [criterion_features(c, question.text, units, vecs, cal) for c in rubric.criteria]


def verdict_for(
    c: Criterion, f: CriterionFeatures, units: Units, cal: Calibration
) -> CriterionResult:
    """Verdict, credit, evidence and confidence of one criterion from its features."""
    if f.contradicted_by is not None:
        bad = units.spans[f.contradicted_by]
        return CriterionResult(
            c.id, c.concept, Verdict.CONTRADICTED, c.weight, Evidence(bad.start, bad.end, bad.text),
            confidence=0.7, note=f"States the misconception: {c.misconception}", credit=0.0,
        )
    credit = cal.credit(f.values)
    if not f.relational_ok:
        credit = min(credit, TERM_LIST_CAP)
    if credit >= MET_AT:
        verdict, edge = Verdict.MET, credit - MET_AT
    elif credit >= PARTIAL_AT:
        verdict, edge = Verdict.PARTIAL, min(credit - PARTIAL_AT, MET_AT - credit)
    else:
        verdict, edge = Verdict.MISSED, PARTIAL_AT - credit
    evidence: Evidence | None = None
    if verdict != Verdict.MISSED and f.best_unit >= 0:
        span = units.spans[f.best_unit]
        evidence = Evidence(span.start, span.end, span.text)
    note = "" if f.relational_ok else "Only lists terms; the relation is not stated."
    confidence = round(min(1.0, 0.5 + 2.0 * edge), 3)
    return CriterionResult(
        c.id, c.concept, verdict, c.weight, evidence, confidence, note, credit=round(credit, 4)
    )


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def build_feedback(rubric: Rubric, results: list[CriterionResult], reason: str = "") -> str:
    """Plain feedback built from the verdicts: what was good, what was missed and why, a tip."""
    if reason:
        return f"{reason} Answer the question in full sentences so it can be graded."
    by = {v: [r for r in results if r.verdict == v] for v in Verdict}
    parts: list[str] = []
    if by[Verdict.MET]:
        parts.append(f"Good: you covered {_join([r.concept for r in by[Verdict.MET]])}.")
    if by[Verdict.PARTIAL]:
        names = _join([r.concept for r in by[Verdict.PARTIAL]])
        parts.append(f"Partly there: {names}; state the point explicitly and say why it matters.")
    for r in by[Verdict.CONTRADICTED]:
        why = rubric.criterion(r.criterion_id).why
        parts.append(f"Check {r.concept}: your answer contradicts it. {why}")
    for r in by[Verdict.MISSED]:
        parts.append(f"Missed: {r.concept}. {rubric.criterion(r.criterion_id).why}")
    gaps = by[Verdict.CONTRADICTED] + by[Verdict.MISSED] + by[Verdict.PARTIAL]
    if gaps:
        probe = rubric.criterion(gaps[0].criterion_id).probe
        tip = probe or f"explain {gaps[0].concept} in your own words."
        parts.append(f"Tip: {tip}")
    return " ".join(p.strip() for p in parts)


def feedback_chunks(text: str, size: int = 4) -> list[str]:
    """Small word chunks whose concatenation is exactly `text`."""
    pieces = re.findall(r"\s*\S+\s*", text)
    return ["".join(pieces[i: i + size]) for i in range(0, len(pieces), size)]


class OfflineJudge:
    """Judge port without an LLM: embeddings of answer units against the rubric's criteria."""

    name = "offline"

    def __init__(self, encoder: Encoder, *, calibration_path: Path | None = None) -> None:
        self.encoder = encoder
        self.calibration = Calibration.load(calibration_path or DEFAULT_CALIBRATION)

    async def grade(
        self, *, question: Question, rubric: Rubric, answer: str,
        on_feedback: FeedbackSink | None = None,
    ) -> Grade:
        """Grade in a worker thread, then stream the feedback in word chunks if asked."""
        grade = await asyncio.to_thread(
            self.grade_sync, question=question, rubric=rubric, answer=answer
        )
        if on_feedback is not None:
            for chunk in feedback_chunks(grade.feedback):
                await on_feedback(chunk)
        return grade

    def grade_sync(self, *, question: Question, rubric: Rubric, answer: str) -> Grade:
        """Grade an answer against a rubric (CPU-bound; one encoder call)."""
        t0 = time.perf_counter()
        reason = no_language(answer)
        units = answer_units(answer, question.text) if not reason else None
        flags = ("prompt_injection",) if units is not None and units.injected else ()
        if units is not None and not units.spans:
            reason = "Nothing is left to grade once the instructions to the grader are removed."
        if reason or units is None:
            results = [CriterionResult(c.id, c.concept, Verdict.MISSED, c.weight, confidence=1.0,
                                       note=reason, credit=0.0) for c in rubric.criteria]
            return self._grade(question, rubric, results, t0, flags, reason)
        feats = extract(self.encoder, question, rubric, units, self.calibration)
        results = [verdict_for(c, f, units, self.calibration)
                   for c, f in zip(rubric.criteria, feats, strict=True)]
        return self._grade(question, rubric, results, t0, flags, "")

    def _grade(
        self, question: Question, rubric: Rubric, results: list[CriterionResult], t0: float,
        flags: tuple[str, ...], reason: str,
    ) -> Grade:
        provenance = Provenance(
            judge=self.name, model=self.encoder.name,
            prompt_version=f"offline-{self.calibration.version}", rubric_version=rubric.version,
            latency_ms=round((time.perf_counter() - t0) * 1000.0, 3),
        )
        return Grade(
            question_id=question.id, score=0 if reason else score(results),
            criteria=tuple(results), judge=self.name,
            feedback=build_feedback(rubric, results, reason), provenance=provenance,
            flags=flags, insufficient_evidence=bool(reason), reason=reason,
        )
