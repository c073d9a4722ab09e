"""The offline judge's features and verdict rule: each unit of the answer (a sentence or a window
of 2-3 sentences) against every criterion of the rubric (`extract`), and a criterion's verdict and
credit from them (`verdict_for`). `judge.OfflineJudge` runs them; the fitted calibration
(`scripts/fit_calibration.py`) reads the same features.

A sentence counts for the criteria it matches nearly as well as its best one (`ASSIGN_SLACK`): its
contextual word pieces feed those criteria's token recall and its words their key-term coverage,
and nothing else's. The evidence span is the unit with the best rival-penalised similarity
(`rival_penalty`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from interviewer.adapters.judge.offline.calibration import (
    CTX,
    FEATURES,
    Calibration,
)
from interviewer.adapters.judge.offline.claim_verifier import ClaimVerifier
from interviewer.adapters.judge.offline.contradiction import Nearest, contradiction
from interviewer.adapters.judge.offline.cross_verifier import CrossVerifier
from interviewer.adapters.judge.offline.units import (
    Embedded,
    Units,
    statement_tokens,
    term_coverage,
    token_recall,
)
from interviewer.adapters.judge.offline.verify import (
    ASSERT_SOME,
    Checked,
    check_criteria,
    read_by_clause,
)
from interviewer.core.models import (
    Criterion,
    CriterionResult,
    Evidence,
    Question,
    Rubric,
    Verdict,
)
from interviewer.core.ports import Encoder
from interviewer.core.scoring import BANDS
from interviewer.core.text import (
    content_stems,
    is_term_list,
    split_sentences,
    stem,
)

TERM_LIST_CAP = 0.12  # a bare list of terms states no relation: at most a low "missed"
# A criterion earns nothing for what the question already says: when the answer's token recall of
# it beats the question's own (the question read as an answer) by at most RESTATE_MARGIN, its
# credit is at most RESTATE_CAP (docs/grading.md, "Eighth session", "Restatements").
RESTATE_MARGIN, RESTATE_CAP = 0.0, 0.1
MET_AT, PARTIAL_AT = 0.8, 0.25
# A sentence feeds a criterion's token recall when its similarity is within ASSIGN_SLACK of its
# best criterion's, and its key-term coverage when it is also at least ASSIGN_FLOOR similar to it.
ASSIGN_SLACK, ASSIGN_FLOOR = 0.3, 0.1


@dataclass(frozen=True, slots=True)
class CriterionFeatures:
    """What the judge measured for one criterion: features, evidence unit, contradiction."""

    values: np.ndarray  # FEATURES, in order
    best_unit: int  # -1 when no unit is usable
    relational_ok: bool
    contradicted_by: int | None
    checked: Checked | None = None  # the claim verifier's reading (None: verification off)
    question_recall: float = 0.0  # the token recall the question alone earns

    def restates(self) -> bool:
        return bool(self.values[CTX] - self.question_recall <= RESTATE_MARGIN)


@lru_cache(maxsize=4096)
def _states_relation(statement: str) -> bool:
    """Whether a criterion states a relation (it is not itself a list of terms)."""
    return not is_term_list(statement)


@dataclass(frozen=True, slots=True)
class Rivals:
    """Per unit, the similarity to the criterion and the best similarity to any other one."""

    sim: np.ndarray
    other: np.ndarray  # -1 where the rubric has a single criterion

    def penalised(self, penalty: float) -> np.ndarray:
        out: np.ndarray = self.sim - penalty * np.maximum(0.0, self.other - self.sim)
        return out

    def near_best(self) -> np.ndarray:
        """Units about as close to this criterion as to any other (all, for one criterion)."""
        out: np.ndarray = self.sim >= self.other - ASSIGN_SLACK
        return out

    def assigned(self) -> np.ndarray:
        return self.near_best() & (self.sim >= ASSIGN_FLOOR)


def _rivals(stmt_sims: np.ndarray, j: int) -> Rivals:
    """Column j of the units x criteria similarity matrix against the best other column."""
    if stmt_sims.shape[1] == 1:
        return Rivals(stmt_sims[:, 0], np.full(stmt_sims.shape[0], -1.0))
    return Rivals(stmt_sims[:, j], np.delete(stmt_sims, j, axis=1).max(axis=1))


def criterion_features(
    c: Criterion, question: str, units: Units, vecs: Embedded, rivals: Rivals,
    near: Nearest, cal: Calibration, needs_relation: bool = True,
) -> CriterionFeatures:
    """Key-term coverage, relevance and contextual token recall for one criterion."""
    # Credit needs a unit that states a relation: a bare list of terms earns at most TERM_LIST_CAP,
    # unless every criterion of the rubric is itself a list of terms ('data members and member
    # functions'), so that naming them is the answer.
    mask = units.usable & units.relational if needs_relation else units.usable
    relational_ok = bool(mask.any())
    if not relational_ok:
        mask = units.usable
    if not mask.any():
        return CriterionFeatures(np.zeros(len(FEATURES)), -1, False, None)
    pool = np.where(mask, rivals.penalised(cal.rival_penalty), -1.0)
    best_i = int(np.argmax(pool))
    qsim = vecs.units @ vecs.question
    relevance = float(np.max(np.where(units.usable, np.maximum(rivals.sim, qsim), -1.0)))
    ns = units.n_sentences
    mine = rivals.assigned()[:ns] & mask[:ns]
    stems = frozenset(stem(w) for i in np.flatnonzero(mine) for w in units.sentence_words[i])
    recall_from = rivals.near_best()[:ns] & units.usable[:ns]
    values = np.array([
        term_coverage(c.key_terms, stems),
        relevance,
        token_recall(vecs.statement_tokens[c.id],
                      [vecs.sentence_tokens[i] for i in np.flatnonzero(recall_from)]),
    ])
    contradicted = contradiction(c, units, vecs, near, cal, question)
    asked = token_recall(vecs.statement_tokens[c.id], [vecs.question_tokens])
    return CriterionFeatures(values, best_i, relational_ok, contradicted, question_recall=asked)


def extract(
    encoder: Encoder, question: Question, rubric: Rubric, units: Units, cal: Calibration,
    verifier: ClaimVerifier | CrossVerifier | None = None, clause_top_k: int | None = None,
    contradictions_only: bool = False,
) -> list[CriterionFeatures]:
    """Features of every criterion; one model pass for the answer (rubric texts are cached)."""
    anchors = [s.text for s in split_sentences(question.sample_answer)]
    fixed = [question.text, *anchors]
    for c in rubric.criteria:
        fixed.append(c.statement)
        if c.misconception:
            fixed.append(c.misconception)
    fixed = list(dict.fromkeys(fixed))
    mat = encoder.encode(fixed + [u.text for u in units.spans])
    n_fixed, n_units = len(fixed), len(units.spans)
    sentences = [u.text for u in units.spans[: units.n_sentences]]
    # The head verifier also reads the misconceptions' token vectors; otherwise they are not needed.
    misconceptions = ([c.misconception for c in rubric.criteria if c.misconception]
                      if isinstance(verifier, ClaimVerifier) else [])
    toks = encoder.encode_tokens(
        [question.text] + [c.statement for c in rubric.criteria] + sentences + misconceptions
    )
    q_tokens = frozenset(toks[0].tokens)
    n_crit = len(rubric.criteria)
    vecs = Embedded(
        units=mat[n_fixed: n_fixed + n_units],
        question=mat[0], texts={t: mat[i] for i, t in enumerate(fixed)},
        statement_tokens={c.id: statement_tokens(toks[1 + j], q_tokens)
                          for j, c in enumerate(rubric.criteria)},
        sentence_tokens=[np.asarray(tv.vectors, dtype=np.float32)
                         for tv in toks[1 + n_crit: 1 + n_crit + len(sentences)]],
        question_tokens=np.asarray(toks[0].vectors, dtype=np.float32),
    )
    stmt_sims = vecs.units @ np.stack([vecs.texts[c.statement] for c in rubric.criteria]).T
    # A unit contradicts a criterion only when it is clearly closer to the misconception than to
    # every statement, and closer to it than to every sentence of the (correct) sample answer.
    sample = np.stack([vecs.texts[t] for t in anchors]) if anchors else None
    by_sample = vecs.units @ sample.T if sample is not None else None
    near = Nearest(
        stmt_sims.max(axis=1), by_sample.max(axis=1) if by_sample is not None else None,
        by_sample.argmax(axis=1) if by_sample is not None else np.zeros(len(units.spans), int),
        tuple(frozenset(content_stems(t)) for t in anchors),
    )
    needs_relation = any(_states_relation(c.statement) for c in rubric.criteria)
    feats = [
        criterion_features(c, question.text, units, vecs, _rivals(stmt_sims, j), near, cal,
                           needs_relation)
        for j, c in enumerate(rubric.criteria)
    ]
    if verifier is None:
        return feats
    sims = stmt_sims[: units.n_sentences]
    if isinstance(verifier, CrossVerifier):
        checked = read_by_clause(
            verifier.probabilities, encoder, question.sample_answer,
            [c.statement for c in rubric.criteria], units, sentences, sims,
            vecs.units[: units.n_sentences], top_k=clause_top_k,
            contradictions_only=contradictions_only,
        )
    else:
        mis_iter = iter(toks[1 + n_crit + len(sentences):])
        checked = check_criteria(
            verifier.probabilities, units, toks[1: 1 + n_crit],
            [next(mis_iter) if c.misconception else None for c in rubric.criteria],
            toks[1 + n_crit: 1 + n_crit + len(sentences)], needs_relation, sims,
        )
    return [replace(f, checked=k) for f, k in zip(feats, checked, strict=True)]


def verdict_for(
    c: Criterion, f: CriterionFeatures, units: Units, cal: Calibration
) -> CriterionResult:
    """Verdict, credit, evidence and confidence of one criterion from its features."""
    k = f.checked
    if k is not None and k.contradicts():
        f = replace(f, contradicted_by=k.contra_unit)
    if f.contradicted_by is not None:
        bad = units.spans[f.contradicted_by]
        return CriterionResult(
            c.id, c.concept, Verdict.CONTRADICTED, c.weight, Evidence(bad.start, bad.end, bad.text),
            confidence=k.confidence() if k is not None and k.contradicts() else 0.7,
            note=f"States the misconception: {c.misconception}" if c.misconception
            else "Contradicts the criterion.", credit=0.0,
        )
    credit = cal.credit(f.values)
    note = "" if f.relational_ok else "Only lists terms; the relation is not stated."
    if not f.relational_ok:
        credit = min(credit, TERM_LIST_CAP)
    elif (f.restates() or units.restated) and credit > RESTATE_CAP:
        credit = RESTATE_CAP
        note = "Says no more about this than the question does."
    best_unit = f.best_unit
    if k is not None and not k.by_clause:
        if credit > k.cap():
            credit = k.cap()
            note = note or "Mentions the topic; the claim itself is not stated."
        if k.assert_unit >= 0 and k.asserted >= ASSERT_SOME:
            best_unit = k.assert_unit
    if credit >= MET_AT:
        verdict, edge = Verdict.MET, credit - MET_AT
    elif credit >= PARTIAL_AT:
        verdict, edge = Verdict.PARTIAL, min(credit - PARTIAL_AT, MET_AT - credit)
    else:
        verdict, edge = Verdict.MISSED, PARTIAL_AT - credit
    if k is not None and k.by_clause and credit > k.cap():
        # The verdict stands; the credit falls to the bottom of its band at most.
        credit = max(BANDS[verdict][0], k.cap())
        note = note or "Mentions the topic; the claim itself is not clearly stated."
    evidence: Evidence | None = None
    if verdict != Verdict.MISSED and best_unit >= 0:
        span = units.spans[best_unit]
        evidence = Evidence(span.start, span.end, span.text)
    confidence = round(min(1.0, 0.5 + 2.0 * edge), 3)
    if k is not None:
        confidence = min(confidence, k.confidence())
    return CriterionResult(
        c.id, c.concept, verdict, c.weight, evidence, confidence, note, credit=round(credit, 4)
    )
