"""core/direction: a claim's direction swapped in its own words (issue 15: "swapped direction").

Sentences written for this test; none is taken from the evaluation sets or the claims data.
"""

from __future__ import annotations

import pytest

from interviewer.core.direction import direction_conflict
from interviewer.core.polarity import polarity_conflict

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
