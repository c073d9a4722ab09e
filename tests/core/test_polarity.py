"""core/polarity and core/direction: a sentence that negates a claim's predicate, or swaps its
direction, in the claim's own words (issue 15: "negation", "swapped direction").

Sentences written for this test; none is taken from the evaluation sets or the claims data.
"""

from __future__ import annotations

import pytest

from interviewer.core.direction import direction_conflict
from interviewer.core.polarity import polarity_conflict

CONFLICTS = [
    ("The KV cache can be shared across requests that start with the same prompt.",
     "The KV cache cannot be shared across requests, even when their prompts are identical."),
    ("Speculative decoding preserves the target model's output distribution.",
     "Speculative decoding does not preserve the target model's output distribution; it trades quality for speed."),
    ("Gradient clipping is needed to stop rare loss spikes from wrecking training.",
     "Gradient clipping is never needed when the learning rate is small."),
    ("Quantised weights can be dequantised on the fly inside the matmul kernel.",
     "Unlike fp16 weights, int4 weights can't be dequantised on the fly inside the kernel."),
    ("Tokens are routed to the two experts with the highest gate scores.",  # the claim negates
     "Each token is routed to the experts with the highest gate scores, usually two."),
]
# Reversed roles: the claim holds the negation.
CLAIM_NEGATES = [
    ("Layer normalisation does not depend on the batch size.",
     "Layer normalisation depends on the batch size, so small batches make it noisy."),
]
AGREES = [
    # the same negation on both sides
    ("Pipeline parallelism adds throughput but does not lower the latency of one request.",
     "Pipeline stages add throughput; they do not lower one request's latency, while tensor parallelism lowers latency."),
    # a different predicate is negated ("keep a fixed number" against "keeps the smallest set")
    ("Nucleus sampling keeps the smallest set of tokens whose probability mass reaches p.",
     "Nucleus sampling does not keep a fixed number of tokens; it keeps the smallest set reaching p."),
    # "not X but Y": a contrast, not the claim's predicate
    ("Grouped-query attention shares key and value heads between groups of query heads.",
     "Grouped-query attention reduces not the query heads but the key and value heads."),
    # hedges
    ("Warmup helps large models train stably.", "Warmup does not always help, but large models train more stably with it."),
    ("A larger batch lowers gradient noise.", "I am not sure a larger batch lowers gradient noise."),
    # a softer denial in the claim: "without", "instead of", "avoids"
    ("FlashAttention avoids writing the attention matrix to HBM.",
     "FlashAttention does not write the attention matrix to HBM."),
    ("The model learns from preferences instead of a reward model.",
     "There is no reward model; the model learns from preferences directly."),
    # one shared word is too little to say which predicate is denied
    ("Mixture of experts saves compute.", "Mixture of experts saves FLOPs, not memory."),
    # no negation at all
    ("RoPE rotates queries and keys by position.", "RoPE rotates the query and key vectors by an angle set by position."),
]


@pytest.mark.parametrize(("claim", "sentence"), CONFLICTS + CLAIM_NEGATES)
def test_a_negated_predicate_in_the_same_words_is_a_conflict(claim: str, sentence: str) -> None:
    if (claim, sentence) == CONFLICTS[-1]:
        claim = "Tokens are not routed to the two experts with the highest gate scores."
    assert polarity_conflict(claim, sentence)
    assert polarity_conflict(sentence, claim)  # either text may be the claim


@pytest.mark.parametrize(("claim", "sentence"), AGREES)
def test_agreement_contrast_hedges_and_soft_denials_are_not_conflicts(claim: str, sentence: str) -> None:
    assert not polarity_conflict(claim, sentence)


def test_empty_and_punctuation_only_texts() -> None:
    assert not polarity_conflict("", "")
    assert not polarity_conflict("No.", "Not at all!")
    assert not polarity_conflict("It is not.", "It is.")


def test_a_purpose_and_a_denied_list_agree_with_the_claim() -> None:
    claim = "Keep most of the usual mix during the anneal to avoid distribution shift and forgetting."
    assert not polarity_conflict(claim, "Keep the usual mix in the anneal so as to not forget old skills.")
    assert not polarity_conflict(claim, "Keep the usual mix so the model does not forget old skills and drift.")


SWAPPED = [
    ("Grouped-query attention shrinks the KV cache of a long conversation.",
     "Grouped-query attention grows the KV cache of a long conversation."),
    ("Raising the temperature above one flattens the next-token distribution.",
     "Raising the temperature above one sharpens the next-token distribution."),
    ("Speculative decoding makes generation faster when the draft model agrees with the target.",
     "Speculative decoding makes generation slower when the draft model agrees with the target."),
    ("Larger batches reduce the gradient noise of each optimiser step.",
     "Larger batches increase the gradient noise of each optimiser step."),
]
AGREE = [
    # both directions flipped: the same claim (a condition said twice, "raising it above one",
    # would count three flips: the rule reads it as a conflict)
    ("A temperature above one flattens the distribution.",
     "A temperature below one sharpens the distribution."),
    # a comparison with "than" may swap its arguments instead: left alone
    ("Pre-norm stacks train more stably than post-norm stacks.",
     "Post-norm stacks train less stably than pre-norm stacks."),
    # the same direction in other words
    ("Grouped-query attention shrinks the KV cache.", "Grouped-query attention reduces the size of the KV cache."),
    # a negation is core/polarity's to read
    ("Quantisation makes decoding faster.", "Quantisation does not make decoding slower."),
    # directions about different things
    ("A larger vocabulary gives shorter sequences.", "A larger model needs more training tokens."),
    # a compound names a thing, not a direction
    ("LoRA trains a low-rank update of each weight matrix.", "LoRA trains a higher-rank update of each weight matrix."),
]


@pytest.mark.parametrize(("claim", "sentence"), SWAPPED)
def test_a_swapped_direction_is_a_conflict(claim: str, sentence: str) -> None:
    assert direction_conflict(claim, sentence) and direction_conflict(sentence, claim)
    assert polarity_conflict(claim, sentence)  # what the verifier's reading uses


@pytest.mark.parametrize(("claim", "sentence"), AGREE)
def test_agreeing_or_unrelated_directions_are_not_conflicts(claim: str, sentence: str) -> None:
    assert not direction_conflict(claim, sentence)
