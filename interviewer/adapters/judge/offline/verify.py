"""The offline judge's claim check: for each criterion, does some sentence of the answer assert its
claim, contradict it, or only talk about its topic? (`claim_verifier.ClaimVerifier`)

What it decides, per criterion:
- `asserted`: the highest probability that a usable sentence asserts the statement;
- `contradicted`: the highest probability that a usable sentence contradicts the statement (or
  asserts the misconception), counted only where it beats that sentence's own `asserts`;
- the verdict rule: `met` needs an asserted claim (`asserted >= ASSERT_MET`), a criterion whose
  claim is never asserted keeps at most a low `partial` or a `missed` credit however many of its
  words the answer uses, and a clear contradiction that no sentence outweighs is `contradicted`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from interviewer.adapters.judge.offline.claim_verifier import ASSERTS, CONTRADICTS
from interviewer.adapters.judge.offline.units import Units
from interviewer.core.models import CriterionResult, Verdict
from interviewer.core.ports import Encoder
from interviewer.core.rubric_derive import split_claims
from interviewer.core.scoring import score
from interviewer.core.text import split_sentences

# Thresholds on the verifier's probabilities, set by hand, not fitted: no setting found by a search
# over them kept correct answers' scores on questions outside the bank (docs/grading.md).
ASSERT_MET = 0.5  # below it a criterion cannot be met
ASSERT_SOME = 0.2  # below it the claim is not stated at all: at most a missed credit
CONTRA_MIN = 0.6  # a contradiction must be at least this likely ...
CONTRA_OVER = 0.25  # ... and beat the best assertion of the criterion by this much
PARTIAL_CAP = 0.55  # credit of a criterion whose claim is only half asserted
MISSED_CAP = 0.15  # credit of a criterion whose claim is not asserted
ASSERT_SLACK = 0.3  # a sentence may assert any criterion it is nearly as close to as its best
CONTRA_SLACK = 0.05  # ... but contradicts only the criterion it is (about) closest to
CONTRA_FLOOR = 0.3  # and only one it is clearly about
# The cross-encoder reads a criterion clause by clause (`check_clauses`); a contradiction of one
# clause must be clearer than with the head: chosen among three settings on the dev interview set
# (0.6/0.25, 0.7/0.3, 0.8/0.4; docs/grading.md).
CLAUSE_CONTRA_MIN = 0.7
CLAUSE_CONTRA_OVER = 0.3
# The sample answer is correct by definition, so a sentence it supports contradicts nothing (the
# second anchor, as in the similarity rule): where two criteria or more could be contradicted,
# before a sentence's contradiction counts, each of its SUPPORT_NEAREST closest sample sentences
# (cosine) is read as the claim with the sentence as the span, and one read as asserted at
# SUPPORT_MIN or more, and more than contradicted, clears it.
SUPPORT_NEAREST = 2
SUPPORT_MIN = 0.5
# A grade is flagged `claim_contradicted` when the verifier reads at least this share of the
# rubric's weight as contradicted where the default judge did not. Chosen on the dev interview set
# (docs/grading.md): it flagged 10 of 12 confident misconceptions there, 2 of 12 correct answers
# in non-native English and none of the excellent ones (cross-v1, one criterion enough).
REVIEW_CONTRADICTED_SHARE = 0.25
# ... over at least this many criteria: one misread sentence of a correct answer can weigh a
# quarter of a four-criterion rubric (4 of the bank's 114 sample answers, cross-v2), while a
# confident misconception states several wrong claims.
REVIEW_CONTRADICTED_CRITERIA = 2

# An answer the verifier overrules states wrong claims with confidence, and the grading guide counts
# wrong claims against an answer rather than ignoring them: its score loses this much per point of
# the rubric's weight read as contradicted (`overruled_score`).
CONTRADICTION_PENALTY = 0.5

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Checked:
    """The verifier's reading of one criterion against the answer's sentences."""

    asserted: float
    assert_unit: int  # sentence index, -1 when none
    contradicted: float
    contra_unit: int  # sentence index, -1 when none
    # A clause reading (`check_clauses`) needs a clearer contradiction, keeps the verdict the
    # similarity features give and only lowers the credit within its band: an unasserted "met"
    # earns the bottom of "met", not "partial".
    by_clause: bool = False

    def cap(self) -> float:
        """The most credit the criterion may earn given what the answer asserts."""
        if self.asserted >= ASSERT_MET:
            return 1.0
        if self.asserted >= ASSERT_SOME:
            return PARTIAL_CAP
        return MISSED_CAP

    def contradicts(self) -> bool:
        least, over = (CLAUSE_CONTRA_MIN, CLAUSE_CONTRA_OVER) if self.by_clause else (CONTRA_MIN, CONTRA_OVER)
        return self.contradicted >= least and self.contradicted >= self.asserted + over

    def confidence(self) -> float:
        """How clear-cut the reading is: distance of the deciding probability from 0.5."""
        p = self.contradicted if self.contradicts() else self.asserted
        return round(min(1.0, 0.5 + abs(p - 0.5)), 3)


def nearest_mask(sims: np.ndarray, slack: float, floor: float) -> np.ndarray:
    """(sentences, criteria) bool: the sentence is about this criterion at least as much as about
    any other (within `slack`) and at least `floor` similar to it."""
    if sims.shape[1] == 1:
        return np.asarray(sims >= floor)
    best_other = np.stack([np.delete(sims, j, axis=1).max(axis=1) for j in range(sims.shape[1])], axis=1)
    return np.asarray((sims >= best_other - slack) & (sims >= floor))


def check_criteria(
    probabilities: Callable[[list[T], list[T]], np.ndarray], units: Units,
    statements: Sequence[T], misconceptions: Sequence[T | None], sentences: Sequence[T],
    needs_relation: bool, sims: np.ndarray,
) -> list[Checked]:
    """One batched verifier call over the (criterion, usable sentence) pairs (the head's reading).

    `probabilities` is a verifier's scorer of (claims, spans) -> (n, 3), on whatever it reads
    (token vectors for the head). `sims` is the (sentences, criteria) cosine matrix. A sentence
    can only contradict the criterion it is mostly about (`CONTRA_SLACK`): a true statement of
    another criterion reads as "not this claim" to the verifier, and must not count against this
    one. Assertions are read from every sentence near the criterion (`ASSERT_SLACK`).
    """
    ns = units.n_sentences
    ok = units.usable[:ns] & (units.relational[:ns] if needs_relation else True)
    idx = [int(i) for i in np.flatnonzero(ok)]
    n_c = len(statements)
    if not idx:
        return [Checked(0.0, -1, 0.0, -1) for _ in range(n_c)]
    near = sims[idx]
    k = len(idx)
    cands = [[int(x) for x in np.argsort(-near[:, j], kind="stable")[:k]] for j in range(n_c)]
    claims: list[T] = []
    spans: list[T] = []
    for j in range(n_c):
        claims += [statements[j]] * k
        spans += [sentences[idx[x]] for x in cands[j]]
    with_mis = [j for j, m in enumerate(misconceptions) if m is not None]
    for j in with_mis:
        m = misconceptions[j]
        assert m is not None
        claims += [m] * k
        spans += [sentences[idx[x]] for x in cands[j]]
    probs = probabilities(claims, spans)
    direct = probs[: n_c * k].reshape(n_c, k, 3)
    asserts = direct[:, :, ASSERTS]
    contra = direct[:, :, CONTRADICTS].copy()
    for row, j in enumerate(with_mis):
        # A sentence that asserts the misconception contradicts the statement; averaged with the
        # direct reading so that one verifier slip alone does not mark a criterion wrong.
        mis = probs[n_c * k + row * k: n_c * k + (row + 1) * k, ASSERTS]
        contra[j] = np.maximum(contra[j], 0.5 * (contra[j] + mis))
    near_a = nearest_mask(near, ASSERT_SLACK, 0.0).T
    near_k = nearest_mask(near, CONTRA_SLACK, CONTRA_FLOOR).T
    out: list[Checked] = []
    for j in range(n_c):
        cj = cands[j]
        a_row = np.where(near_a[j, cj], asserts[j], 0.0)
        k_row = np.where(near_k[j, cj] & (contra[j] > asserts[j]), contra[j], 0.0)
        ai, ki = int(np.argmax(a_row)), int(np.argmax(k_row))
        out.append(Checked(float(a_row[ai]), idx[cj[ai]], float(k_row[ki]),
                           idx[cj[ki]] if k_row[ki] > 0 else -1))
    return out


def claim_clauses(statement: str, pieces: Sequence[str] = ()) -> list[str]:
    """The separate claims a criterion makes, for the cross-encoder to read one at a time.

    A criterion derived from a sample answer is often several of its sentences or clauses merged
    (`rubric_derive._merge_claims`); `pieces` are that answer's claims (`split_claims`), and those
    the statement contains are its clauses. Otherwise the statement is split as a sample answer
    would be. The verifier was trained on single claims: read against a three-claim statement, a
    sentence that states one of them correctly reads as "not this claim".
    """
    # Match a piece without its final stop: inside a merged statement it may be followed by the
    # sample answer's own "; so ...", and rubrics derived before 2026-12-02 (stored, still graded)
    # glued merged pieces without one ("... samples from it Min-p keeps ...").
    bare = (p.rstrip(" .!?") for p in dict.fromkeys(pieces))
    own = [p for p in bare if p and p in statement]
    if len(own) >= 2:
        return own
    return split_claims(statement) or [statement]


def check_clauses(
    probabilities: Callable[[list[str], list[str]], np.ndarray], units: Units,
    clauses: Sequence[Sequence[str]], sentences: Sequence[str], sims: np.ndarray,
    clause_sims: Sequence[np.ndarray], top_k: int | None = None, contradictions_only: bool = False,
    supported: Callable[[list[int]], set[int]] | None = None,
    cut_from: Sequence[Sequence[str | None]] | None = None,
) -> list[Checked]:
    """Usable sentences against the clauses of every criterion, in one batched call.

    `asserted` is the best assertion of any clause by any sentence read against it. A sentence can
    contradict only the criterion it is (about) closest to (`CONTRA_SLACK`, `CONTRA_FLOOR`), and
    only through the clause it is closest to (`clause_sims[j]`: sentences x clauses of criterion
    j, cosines), where its contradiction must beat its own assertion of that clause.

    With `top_k`, a clause is read for assertion only against its `top_k` closest usable sentences
    (cosine), plus the pairs the contradiction rule needs: each sentence about the criterion
    against its closest clause. Without it, every sentence is read against every clause.

    With `supported`, when two criteria or more could be read as contradicted (fewer never
    overrule the judge), the sentences that would contradict them are passed to it, and those it
    returns (the sample answer asserts them: `read_by_clause`) contradict nothing.

    With `cut_from` (per criterion, per clause: the sample sentence the clause was cut from the
    middle of, else None), a contradiction read through such a clause counts only if the sentence
    also contradicts that whole sample sentence (`_unconfirmed`).

    With `contradictions_only`, only the pairs the contradiction rule needs are read, and every
    `asserted` is 0: each criterion's `contradicted` is what the full reading gives, and
    `contradicts()` holds for every criterion it holds for in the full reading (and perhaps more).
    The first, cheap pass of `OfflineJudge.grade_sync`: an answer it does not flag (`overrules`)
    would not be flagged by the full reading either.
    """
    ns = units.n_sentences
    idx = [int(i) for i in np.flatnonzero(units.usable[:ns])]
    if not idx:
        return [Checked(0.0, -1, 0.0, -1, by_clause=True) for _ in clauses]
    about = nearest_mask(sims[idx], CONTRA_SLACK, CONTRA_FLOOR)  # (usable sentences, criteria)
    wanted: list[tuple[int, int, int]] = []  # (criterion, clause, position in idx)
    nearest: list[list[int]] = []  # per criterion, per usable sentence: its closest clause
    for j, clause_texts in enumerate(clauses):
        cs = clause_sims[j][idx]  # (usable sentences, clauses)
        nearest.append([int(x) for x in np.argmax(cs, axis=1)])
        for c in range(0 if contradictions_only else len(clause_texts)):
            order = range(len(idx)) if top_k is None else np.argsort(-cs[:, c], kind="stable")[:top_k]
            wanted += [(j, c, int(s)) for s in order]
        wanted += [(j, nearest[j][s], s) for s in range(len(idx)) if about[s, j]]
    wanted = list(dict.fromkeys(wanted))
    probs = probabilities([clauses[j][c] for j, c, _ in wanted], [sentences[idx[s]] for _, _, s in wanted])
    read = {key: probs[n] for n, key in enumerate(wanted)}
    cleared: set[int] = set()
    if supported is not None:
        could = np.array([[about[s, j] and _could_contradict(read[(j, nearest[j][s], s)])
                           for j in range(len(clauses))] for s in range(len(idx))], dtype=bool)
        # Only where it can change a grade: `overrules` needs two contradicted criteria or more.
        if int(could.any(axis=0).sum()) >= REVIEW_CONTRADICTED_CRITERIA:
            cleared = supported([i for s, i in enumerate(idx) if could[s].any()])
    unconfirmed = set() if cut_from is None else _unconfirmed(
        probabilities, cut_from, read, nearest, about, cleared, sentences, idx)
    out: list[Checked] = []
    for j in range(len(clauses)):
        asserted, assert_unit = 0.0, -1
        if not contradictions_only:
            mine = [(key, p) for key, p in read.items() if key[0] == j]
            (_, _, a_s), a_p = max(mine, key=lambda kp: float(kp[1][ASSERTS]))
            asserted, assert_unit = float(a_p[ASSERTS]), idx[a_s]
        contra, contra_unit = 0.0, -1
        for s, i in enumerate(idx):
            if not about[s, j] or i in cleared or (j, s) in unconfirmed:
                continue
            p = read[(j, nearest[j][s], s)]
            pc, pa = float(p[CONTRADICTS]), float(p[ASSERTS])
            if pc > pa and pc > contra:
                contra, contra_unit = pc, i
        out.append(Checked(asserted, assert_unit, contra, contra_unit, by_clause=True))
    return out


def _could_contradict(p: np.ndarray) -> bool:
    """A reading that could make its criterion contradicted: `Checked.contradicts` with no other
    sentence asserting the criterion."""
    return Checked(float(p[ASSERTS]), -1, float(p[CONTRADICTS]), -1, by_clause=True).contradicts()


def _unconfirmed(
    probabilities: Callable[[list[str], list[str]], np.ndarray], cut_from: Sequence[Sequence[str | None]],
    read: dict[tuple[int, int, int], np.ndarray], nearest: list[list[int]], about: np.ndarray,
    cleared: set[int], sentences: Sequence[str], idx: list[int],
) -> set[tuple[int, int]]:
    """(criterion, sentence position) pairs whose contradiction was read through a clause cut from
    the middle of a sample sentence, which the whole sample sentence, read against the same
    answer sentence in one batched call, does not confirm (`_could_contradict`). A cut clause
    loses its subject and context ("the logged loss should cover the whole accumulated batch."),
    and the verifier reads a true sentence about its neighbour as contradicting it
    (docs/grading.md, "Seventeenth session")."""
    todo = [(j, s) for j in range(len(cut_from)) for s in range(len(idx))
            if about[s, j] and idx[s] not in cleared and cut_from[j][nearest[j][s]] is not None
            and _could_contradict(read[(j, nearest[j][s], s)])]
    if not todo:
        return set()
    probs = probabilities([str(cut_from[j][nearest[j][s]]) for j, s in todo],
                          [sentences[idx[s]] for _, s in todo])
    return {js for js, p in zip(todo, probs, strict=True) if not _could_contradict(p)}


def cut_sources(clauses: Sequence[Sequence[str]], sample: Sequence[str]) -> list[list[str | None]]:
    """Per criterion, per clause: the sample sentence the clause was cut from the middle of (it
    is in that sentence but does not open it), else None."""
    def source(clause: str) -> str | None:
        bare = clause.rstrip(" .!?")
        return next((t for t in sample if bare in t and not t.startswith(bare)), None)
    return [[source(c) for c in cl] for cl in clauses]


def read_by_clause(
    probabilities: Callable[[list[str], list[str]], np.ndarray], encoder: Encoder,
    sample_answer: str, statements: Sequence[str], units: Units, sentences: Sequence[str],
    sims: np.ndarray, sentence_vectors: np.ndarray, top_k: int | None = None,
    contradictions_only: bool = False,
) -> list[Checked]:
    """The cross-encoder's reading of every criterion, clause by clause (`check_clauses`): the
    clauses come from the sample answer's claims (`claim_clauses`), their cosines with the
    answer's sentences from one encoder call (cached by the encoder across answers). A sentence
    that would contradict a criterion is first read against its SUPPORT_NEAREST closest sentences
    of the sample answer, each as the claim: one that asserts it clears it; and a contradiction
    read through a clause cut from the middle of a sample sentence must hold against that whole
    sentence too. The verifier reads a clause cut from its sentence worse than the whole sentence
    (docs/grading.md, "Thirteenth session", "Seventeenth session")."""
    pieces = split_claims(sample_answer) if sample_answer else []
    clauses = [claim_clauses(s, pieces) for s in statements]
    flat = [x for cl in clauses for x in cl]
    dim = sentence_vectors.shape[1]
    cvec = encoder.encode(flat) if flat else np.zeros((0, dim), dtype=np.float32)
    clause_sims, at = [], 0
    for cl in clauses:
        clause_sims.append(sentence_vectors @ cvec[at: at + len(cl)].T)
        at += len(cl)
    anchors = [a.text for a in split_sentences(sample_answer)] if sample_answer else []

    def supported(which: list[int]) -> set[int]:
        """The answer's sentences (indices) that one of their closest sample sentences asserts."""
        if not anchors or SUPPORT_NEAREST <= 0:
            return set()
        avec = encoder.encode(anchors)  # cached: the judge encoded them for its own anchors
        pairs = [(i, int(k)) for i in which
                 for k in np.argsort(-(avec @ sentence_vectors[i]), kind="stable")[:SUPPORT_NEAREST]]
        probs = probabilities([anchors[k] for _, k in pairs], [sentences[i] for i, _ in pairs])
        return {i for (i, _), p in zip(pairs, probs, strict=True)
                if p[ASSERTS] >= SUPPORT_MIN and p[ASSERTS] > p[CONTRADICTS]}

    return check_clauses(probabilities, units, clauses, sentences, sims, clause_sims, top_k,
                         contradictions_only, supported, cut_sources(clauses, anchors))


def overrules(plain: list[CriterionResult], checked: list[CriterionResult]) -> bool:
    """Whether the verifier's reading stands against the default judge's: it reads at least
    REVIEW_CONTRADICTED_SHARE of the rubric's weight, over at least REVIEW_CONTRADICTED_CRITERIA
    criteria, as contradicted where the judge did not. One criterion is never enough: the
    verifier misreads single sentences of correct answers, most of all in one-line rubrics (ASAG
    dev Pearson 0.555 when half the weight on one criterion was enough, docs/grading.md)."""
    newly = [b.weight for a, b in zip(plain, checked, strict=True)
             if b.verdict == Verdict.CONTRADICTED and a.verdict != Verdict.CONTRADICTED]
    share = sum(newly) / (sum(c.weight for c in plain) or 1.0)
    return len(newly) >= REVIEW_CONTRADICTED_CRITERIA and share >= REVIEW_CONTRADICTED_SHARE


def overruled_score(results: Sequence[CriterionResult]) -> int:
    """The score of an answer the verifier overrules: its criteria's credit, less
    CONTRADICTION_PENALTY times the share of the weight it contradicts (never below 0)."""
    total = sum(r.weight for r in results) or 1.0
    wrong = sum(r.weight for r in results if r.verdict == Verdict.CONTRADICTED) / total
    return max(0, score(results) - round(100 * CONTRADICTION_PENALTY * wrong))
