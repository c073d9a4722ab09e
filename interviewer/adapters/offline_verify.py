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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from interviewer.adapters.claim_verifier import ASSERTS, CONTRADICTS, ClaimVerifier
from interviewer.adapters.offline_units import Units
from interviewer.core.models import Rubric
from interviewer.core.ports import TokenVectors

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


@dataclass(frozen=True, slots=True)
class Checked:
    """The verifier's reading of one criterion against the answer's sentences."""

    asserted: float
    assert_unit: int  # sentence index, -1 when none
    contradicted: float
    contra_unit: int  # sentence index, -1 when none

    def cap(self) -> float:
        """The most credit the criterion may earn given what the answer asserts."""
        if self.asserted >= ASSERT_MET:
            return 1.0
        if self.asserted >= ASSERT_SOME:
            return PARTIAL_CAP
        return MISSED_CAP

    def contradicts(self) -> bool:
        return self.contradicted >= CONTRA_MIN and self.contradicted >= self.asserted + CONTRA_OVER

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
    verifier: ClaimVerifier, rubric: Rubric, units: Units, statements: Sequence[TokenVectors],
    misconceptions: Sequence[TokenVectors | None], sentences: Sequence[TokenVectors],
    needs_relation: bool, sims: np.ndarray,
) -> list[Checked]:
    """One batched verifier call over every (criterion, usable sentence) pair.

    `sims` is the (sentences, criteria) cosine matrix. A sentence can only contradict the
    criterion it is mostly about (`CONTRA_SLACK`): a true statement of another criterion reads
    as "not this claim" to the verifier, and must not count against this one. Assertions are read
    from every sentence near the criterion (`ASSERT_SLACK`).
    """
    ns = units.n_sentences
    ok = units.usable[:ns] & (units.relational[:ns] if needs_relation else True)
    idx = [int(i) for i in np.flatnonzero(ok)]
    n_c = len(rubric.criteria)
    if not idx:
        return [Checked(0.0, -1, 0.0, -1) for _ in range(n_c)]
    claims: list[TokenVectors] = []
    spans: list[TokenVectors] = []
    for j in range(n_c):
        for i in idx:
            claims.append(statements[j])
            spans.append(sentences[i])
    mis_rows: list[tuple[int, int]] = []
    for j, m in enumerate(misconceptions):
        if m is None:
            continue
        for i in idx:
            mis_rows.append((j, i))
            claims.append(m)
            spans.append(sentences[i])
    probs = verifier.probabilities(claims, spans)
    n_i = len(idx)
    direct = probs[: n_c * n_i].reshape(n_c, n_i, 3)
    asserts = direct[:, :, ASSERTS]
    contra = direct[:, :, CONTRADICTS].copy()
    for row, (j, i) in enumerate(mis_rows):
        k = idx.index(i)
        # A sentence that asserts the misconception contradicts the statement; averaged with the
        # direct reading so that one head's slip alone does not mark a criterion wrong.
        contra[j, k] = max(contra[j, k], 0.5 * (contra[j, k] + probs[n_c * n_i + row, ASSERTS]))
    near_a = nearest_mask(sims[idx], ASSERT_SLACK, 0.0).T
    near_k = nearest_mask(sims[idx], CONTRA_SLACK, CONTRA_FLOOR).T
    out: list[Checked] = []
    for j in range(n_c):
        a_row = np.where(near_a[j], asserts[j], 0.0)
        k_row = np.where(near_k[j] & (contra[j] > asserts[j]), contra[j], 0.0)
        ai, ki = int(np.argmax(a_row)), int(np.argmax(k_row))
        out.append(Checked(float(a_row[ai]), idx[ai], float(k_row[ki]),
                           idx[ki] if k_row[ki] > 0 else -1))
    return out
