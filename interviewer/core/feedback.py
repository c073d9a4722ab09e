"""Plain feedback text built from per-criterion verdicts, and its streaming chunks (pure)."""

from __future__ import annotations

from interviewer.core.models import CriterionResult, Rubric, Verdict


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def build_feedback(rubric: Rubric, results: list[CriterionResult], reason: str = "") -> str:
    """What was good, what was missed and why it matters, and one tip (the first gap's probe)."""
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


