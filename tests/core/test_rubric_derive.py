"""Offline rubric derivation from a sample answer, with the real packaged encoder."""

from __future__ import annotations

import hashlib

from interviewer.core.ports import Encoder
from interviewer.core.rubric_derive import derive_misconception, derive_rubric, key_terms, split_claims
from interviewer.core.text import split_sentences
from tests.factories import SCALING_ANSWER, make_question


def test_claims_split_sentences_and_long_compounds() -> None:
    claims = split_claims(
        "Short one. A constructor is called automatically whenever a new object of the class is "
        "created by the program, whereas an ordinary function has to be called explicitly by name."
    )
    assert claims[0] == "Short one."
    assert len(claims) == 3
    assert claims[2].startswith("whereas")


def test_key_terms_skip_question_words() -> None:
    terms = key_terms("Dividing by sqrt keeps the variance of the logits near one.",
                      "Why is attention scaled by the square root of d_k?")
    assert "variance" in terms
    assert not any("attention" in t for t in terms)


def test_derived_rubric_is_valid_and_deterministic(encoder: Encoder) -> None:
    q = make_question()
    a = derive_rubric(question_id=q.id, question_text=q.text, sample_answer=SCALING_ANSWER,
                      encoder=encoder)
    b = derive_rubric(question_id=q.id, question_text=q.text, sample_answer=SCALING_ANSWER,
                      encoder=encoder)
    assert a == b
    assert 1 <= len(a.criteria) <= 6
    assert abs(sum(c.weight for c in a.criteria) - 1.0) < 1e-6
    assert len({c.id for c in a.criteria}) == len(a.criteria)
    assert all(c.key_terms and c.concept and c.probe and c.why for c in a.criteria)
    assert a.derivation is not None and a.derivation.method == "offline"
    digest = hashlib.sha256(SCALING_ANSWER.strip().encode()).hexdigest()
    assert a.derivation.sample_answer_sha256 == digest


def test_near_duplicate_claims_merge(encoder: Encoder) -> None:
    answer = ("The KV cache stores keys and values of previous tokens. "
              "The KV cache stores the keys and the values of the previous tokens. "
              "It costs memory that grows with sequence length.")
    r = derive_rubric(question_id="kv", question_text="What is the KV cache?",
                      sample_answer=answer, encoder=encoder)
    assert len(r.criteria) == 2


def test_at_most_six_criteria(encoder: Encoder) -> None:
    answer = " ".join(f"Fact number {i} concerns topic {w} in detail." for i, w in enumerate(
        ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"]))
    r = derive_rubric(question_id="x", question_text="Tell me facts.", sample_answer=answer,
                      encoder=encoder)
    assert len(r.criteria) <= 6
    assert abs(sum(c.weight for c in r.criteria) - 1.0) < 1e-6


def test_misconceptions_flip_or_negate() -> None:
    assert derive_misconception("Larger batches increase throughput.") == (
        "Larger batches decrease throughput.")
    assert "not" in derive_misconception("The cache is stored in GPU memory for reuse.")
    assert derive_misconception("Abstraction and reusability.") == ""


# Eight claims, so some must merge; the second sentence is long enough to be split into clauses.
MANY_CLAIMS = (
    "Top-p sampling sorts the tokens by probability and keeps the smallest set whose cumulative "
    "probability reaches p, for example 0.9, renormalises it and samples from it; min-p instead "
    "keeps every token whose probability is at least a fixed fraction of the top token's. "
    "Temperature divides the logits before the softmax. "
    "Low temperatures sharpen the distribution, so sampling becomes nearly greedy. "
    "Beam search keeps the best few partial sequences at every step. "
    "Repetition penalties lower the logits of tokens already generated. "
    "Speculative decoding drafts tokens with a small model and verifies them with the large one. "
    "Greedy decoding always takes the most likely token."
)


def _sentences_of_sample(statement: str, sample: str) -> bool:
    """Every sentence of a statement is a passage of the sample answer (ignoring the case of its
    first letter and its final full stop)."""
    low = sample.lower()
    return all(s.text.rstrip(".").lower() in low for s in split_sentences(statement))


def test_merged_statements_read_as_the_sample_answer_does(encoder: Encoder) -> None:
    r = derive_rubric(question_id="x", question_text="How do decoding strategies differ?",
                      sample_answer=MANY_CLAIMS, encoder=encoder)
    assert len(r.criteria) <= 6
    # no two claims glued without punctuation ("samples from it min-p keeps ...")
    assert all(_sentences_of_sample(c.statement, MANY_CLAIMS) for c in r.criteria), [
        c.statement for c in r.criteria]


def test_a_clause_fragment_stays_with_its_claim(encoder: Encoder) -> None:
    answer = ("Logit distillation trains the student on the teacher's full next-token distribution "
              "at every position, and these soft targets carry more information per token than a "
              "one-hot label, so the student learns more from the same text. "
              "Sequence distillation fine-tunes the student on text that the teacher generated.")
    assert any(c.startswith("so the student") for c in split_claims(answer))
    r = derive_rubric(question_id="kd", question_text="Compare two kinds of distillation.",
                      sample_answer=answer, encoder=encoder)
    assert not any(c.statement.startswith("so ") for c in r.criteria)
    assert any(c.statement.endswith("so the student learns more from the same text.") for c in r.criteria)
