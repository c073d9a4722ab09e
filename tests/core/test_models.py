"""Review flags: which grades are provisional, and how the flag follows a grade through copies."""

from __future__ import annotations

from dataclasses import replace

import pytest

from interviewer.core.models import (
    REVIEW_FLAGS,
    CriterionResult,
    Grade,
    Provenance,
    ReviewFlag,
    Verdict,
    review_needed,
)
from interviewer.core.overrides import apply_override


def make_grade(*flags: str, fallback: bool = False, needs_review: bool = False) -> Grade:
    result = CriterionResult("c1", "concept", Verdict.MET, 1.0)
    prov = Provenance("llm", "m", "p", 1, 5.0, fallback_used=fallback)
    return Grade("q1", 100, (result,), "llm", "Fine.", prov, flags=flags, needs_review=needs_review)


@pytest.mark.parametrize("flag", ["needs_review", "prompt_injection", "off_topic", "judges_disagree",
                                  "fallback_used", "uncertain"])
def test_each_review_flag_makes_a_grade_provisional(flag: str) -> None:
    assert flag in REVIEW_FLAGS and ReviewFlag(flag).value == flag
    assert review_needed([flag]) and review_needed(["cached", flag])
    assert make_grade(flag).needs_review


@pytest.mark.parametrize("flags", [(), ("cached",), ("quotes_dropped",), ("insufficient_evidence",)])
def test_other_flags_do_not(flags: tuple[str, ...]) -> None:
    assert not review_needed(flags) and not make_grade(*flags).needs_review


def test_a_fallback_judge_or_an_explicit_request_makes_it_provisional() -> None:
    assert review_needed([], fallback_used=True) and make_grade(fallback=True).needs_review
    assert make_grade(needs_review=True).needs_review
    # The flags win over a caller that passes False (e.g. a stored grade written by old code).
    assert make_grade("prompt_injection", needs_review=False).needs_review


def test_copies_follow_their_flags() -> None:
    g = make_grade()
    assert replace(g, flags=("judges_disagree",)).needs_review
    prov = g.provenance
    assert prov is not None
    assert replace(g, provenance=replace(prov, fallback_used=True)).needs_review


def test_a_human_override_clears_it_and_it_stays_cleared() -> None:
    g = make_grade("prompt_injection")
    assert not review_needed(g.flags, overridden=True)
    for reviewed in (apply_override(g, score=40),
                     apply_override(g, criterion_id="c1", verdict=Verdict.MISSED)):
        assert reviewed.overridden and not reviewed.needs_review
        assert reviewed.flags == ("prompt_injection",)  # why it was flagged stays on record
        assert not replace(reviewed, revision=reviewed.revision + 1).needs_review
