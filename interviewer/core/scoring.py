"""Scores computed in code from weighted verdicts; never taken from a model's free text."""

from __future__ import annotations

from collections.abc import Iterable

from interviewer.core.models import CriterionResult, Verdict

CREDIT: dict[Verdict, float] = {
    Verdict.MET: 1.0,
    Verdict.PARTIAL: 0.5,
    Verdict.MISSED: 0.0,
    Verdict.CONTRADICTED: 0.0,
}

# A judge may grade within a verdict: the credit is clamped into the verdict's band, so a verdict
# and its points can never disagree (a "missed" criterion can earn at most 0.2 of its weight).
BANDS: dict[Verdict, tuple[float, float]] = {
    Verdict.MET: (0.8, 1.0),
    Verdict.PARTIAL: (0.3, 0.8),
    Verdict.MISSED: (0.0, 0.2),
    Verdict.CONTRADICTED: (0.0, 0.0),
}

# A concept shown only after a targeted follow-up earns this share of the points it had missed.
RECOVERY_SHARE = 0.5


def criterion_credit(result: CriterionResult) -> float:
    """Credit in [0, 1] for one criterion, including the follow-up recovery share."""
    base = CREDIT[result.verdict]
    if result.credit is not None:
        lo, hi = BANDS[result.verdict]
        base = min(hi, max(lo, result.credit))
    if result.recovered:
        return base + RECOVERY_SHARE * (1.0 - base)
    return base


def score(results: Iterable[CriterionResult]) -> int:
    """0-100 score: the weight-averaged credit of the criteria, rounded."""
    items = list(results)
    total = sum(r.weight for r in items)
    if total <= 0:
        return 0
    earned = sum(r.weight * criterion_credit(r) for r in items)
    return max(0, min(100, round(100 * earned / total)))
