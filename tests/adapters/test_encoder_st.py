"""The sentence-transformers encoder on the real packaged model: batching by padded size."""

from __future__ import annotations

import numpy as np

from interviewer.adapters.encoder.sentence_transformer import (
    BATCH_CHARS,
    SentenceTransformerEncoder,
    length_batches,
)


def test_length_batches_cut_by_padded_size_and_count() -> None:
    texts = ["a" * n for n in (400, 3, 5, 900, 4, 1200, 6)]
    groups = length_batches(texts, max_count=2)
    assert sorted(i for g in groups for i in g) == list(range(len(texts)))
    for g in groups:
        assert len(g) <= 2
        assert len(g) == 1 or len(g) * max(len(texts[i]) for i in g) <= BATCH_CHARS
    # shortest first: the single words never share a batch with the long spans
    assert groups[0] == [1, 4] and groups[-1] == [5]


def test_mixed_lengths_keep_their_order_and_match_one_by_one(encoder: SentenceTransformerEncoder) -> None:
    texts = ["attention", "The key-value cache stores the keys and values of earlier tokens so "
             "decoding does not recompute them at every step.", "softmax", "RoPE rotates queries "
             "and keys by position-dependent angles.", "kv"]
    together = encoder.encode_uncached(texts)
    alone = np.stack([encoder.encode_uncached([t])[0] for t in texts])
    assert together.shape == (5, 384)
    assert np.allclose(together, alone, atol=1e-4)
