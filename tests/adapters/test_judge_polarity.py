"""A misconception stated as negations of the sample answer's own claims (issue 15).

The cross-encoder verifier reads "The cache does not grow with sequence length" as asserting "The
cache grows linearly with sequence length" (its negation blind spot); the polarity rule
(core/polarity.py) reads such a pair as the contradiction. Question and answers written for this
test, not taken from the evaluation sets.
"""

from __future__ import annotations

import pytest

from interviewer.adapters.judge.offline.cross_verifier import CrossVerifier
from interviewer.adapters.judge.offline.judge import OfflineJudge
from interviewer.core.models import Difficulty, Question, Rubric, Verdict
from interviewer.core.ports import Encoder
from interviewer.core.rubric_derive import derive_rubric

QUESTION = Question(
    id="kv-cache-limits", area="inference", difficulty=Difficulty.MEDIUM, companies=(),
    text="Why do LLM serving systems keep a KV cache, and what limits how long a context it can serve?",
    sample_answer=(
        "The KV cache stores the keys and values of earlier tokens, so each decoding step only computes "
        "attention inputs for the new token. It trades memory for compute, because without it every step "
        "would recompute the whole prefix. The cache grows linearly with sequence length and batch size, so "
        "long contexts are limited by GPU memory. Paged attention allocates the cache in fixed blocks, which "
        "reduces fragmentation and lets requests share prefix blocks."),
)
NEGATED = (
    "The KV cache does not store the keys and values of earlier tokens; every decoding step recomputes "
    "attention for the whole prefix anyway. The cache does not grow with sequence length or batch size, so "
    "long contexts are never limited by GPU memory. Paged attention cannot share prefix blocks between "
    "requests and does not reduce fragmentation.")
PARAPHRASE = (
    "Keeping each earlier token's keys and values means a decode step only processes the newest token "
    "instead of the whole prefix, trading memory for compute. Its size is linear in context length and "
    "batch, so GPU memory caps the context. Paged attention stores it in blocks to cut fragmentation and "
    "share prompt prefixes.")


@pytest.fixture(scope="module")
def setup(encoder: Encoder) -> tuple[OfflineJudge, Rubric]:
    rubric = derive_rubric(question_id=QUESTION.id, question_text=QUESTION.text,
                           sample_answer=QUESTION.sample_answer, encoder=encoder)
    return OfflineJudge(encoder, verify=True), rubric


def test_a_misconception_made_of_negations_is_contradicted(setup: tuple[OfflineJudge, Rubric]) -> None:
    judge, rubric = setup
    g = judge.grade_sync(question=QUESTION, rubric=rubric, answer=NEGATED)
    assert g.score <= 30, g
    assert sum(c.verdict == Verdict.CONTRADICTED for c in g.criteria) >= 2
    assert "claim_contradicted" in g.flags and g.needs_review
    assert g.provenance is not None and g.provenance.prompt_version.endswith("+polarity")


def test_without_the_rule_the_verifier_misses_it(setup: tuple[OfflineJudge, Rubric]) -> None:
    """What the rule adds: the same judge with it off grades the negations as a good answer."""
    judge, rubric = setup
    assert isinstance(judge.verifier, CrossVerifier)
    judge.verifier.polarity = False
    try:
        g = judge.grade_sync(question=QUESTION, rubric=rubric, answer=NEGATED)
    finally:
        judge.verifier.polarity = True
    assert g.score > 50 and not any(c.verdict == Verdict.CONTRADICTED for c in g.criteria)


@pytest.mark.parametrize("answer", [QUESTION.sample_answer, PARAPHRASE])
def test_correct_answers_are_untouched(setup: tuple[OfflineJudge, Rubric], answer: str) -> None:
    judge, rubric = setup
    g = judge.grade_sync(question=QUESTION, rubric=rubric, answer=answer)
    assert g.score >= 90 and all(c.verdict == Verdict.MET for c in g.criteria), g
