"""The micro-batching encoder over the real packaged model: shared batches, a bounded queue, a clean stop.

A caller left waiting on a batch that never runs would block its worker thread for good, and
anything that waits for that thread (a thread pool shutting down) with it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pytest

from interviewer.adapters.encoder.batching import BatchingEncoder
from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder
from interviewer.core.ports import TokenVectors, Vectors
from interviewer.errors import Busy, ServerShutdown
from tests.conftest import wait_for

TEXTS = [
    "The key-value cache keeps the keys and values of earlier tokens.",
    "RoPE rotates queries and keys by an angle that depends on position.",
    "Pre-norm puts the layer norm inside the residual branch.",
    "Speculative decoding drafts tokens with a small model and verifies them with the large one.",
    "Grouped-query attention shares each key-value head among several query heads.",
    "FlashAttention tiles the computation so the score matrix never reaches HBM.",
]


class Gated:
    """The real encoder behind a gate: a call waits until the test opens it (to hold a batch)."""

    def __init__(self, inner: SentenceTransformerEncoder) -> None:
        self.inner, self.name = inner, inner.name
        self.entered, self.gate = threading.Event(), threading.Event()

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.entered.set()
        assert self.gate.wait(timeout=60)
        return self.inner.encode(texts)

    def encode_tokens(self, texts: Sequence[str]) -> list[TokenVectors]:
        return self.inner.encode_tokens(texts)


def test_concurrent_calls_share_batches_and_each_gets_its_own_vectors(
        encoder: SentenceTransformerEncoder) -> None:
    batcher = BatchingEncoder(encoder, max_wait_ms=200)
    try:
        with ThreadPoolExecutor(len(TEXTS)) as pool:
            got = list(pool.map(lambda t: batcher.encode([t]), TEXTS))
        for text, vectors in zip(TEXTS, got, strict=True):
            assert vectors.shape == (1, 384)
            assert np.allclose(vectors[0], encoder.encode([text])[0], atol=1e-4)
        assert batcher.batched_requests == len(TEXTS) and batcher.batches < len(TEXTS)
    finally:
        batcher.close()


def test_a_full_queue_refuses_at_once_with_busy(encoder: SentenceTransformerEncoder) -> None:
    inner = Gated(encoder)
    batcher = BatchingEncoder(inner, max_wait_ms=0, max_queue=1)
    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(batcher.encode, [TEXTS[0]])
        assert inner.entered.wait(timeout=30)
        queued = pool.submit(batcher.encode, [TEXTS[1]])
        wait_for(lambda: batcher.queued == 1)
        with pytest.raises(Busy) as refused:
            batcher.encode([TEXTS[2]])
        assert refused.value.retry_after and refused.value.retry_after > 0
        inner.gate.set()
        assert running.result(timeout=60).shape == (1, 384)
        assert queued.result(timeout=60).shape == (1, 384)
    batcher.close()


def test_a_call_after_close_fails_with_server_shutdown(encoder: SentenceTransformerEncoder) -> None:
    batcher = BatchingEncoder(encoder)
    batcher.close()
    with pytest.raises(ServerShutdown):
        batcher.encode([TEXTS[0]])


def test_close_finishes_the_queued_calls_and_refuses_the_later_ones(
        encoder: SentenceTransformerEncoder) -> None:
    inner = Gated(encoder)
    batcher = BatchingEncoder(inner, max_wait_ms=0)
    with ThreadPoolExecutor(5) as pool:
        running = pool.submit(batcher.encode, [TEXTS[0]])
        assert inner.entered.wait(timeout=30)
        queued: list[Future[Vectors]] = [pool.submit(batcher.encode, [t]) for t in TEXTS[1:4]]
        wait_for(lambda: batcher.queued == 3)
        closing = pool.submit(batcher.close)
        wait_for(lambda: batcher.queued == 4)  # the stop marker behind the three
        with pytest.raises(ServerShutdown):
            batcher.encode([TEXTS[4]])
        inner.gate.set()
        for text, f in zip(TEXTS[:4], [running, *queued], strict=True):
            assert np.allclose(f.result(timeout=60)[0], encoder.encode([text])[0], atol=1e-4)
        closing.result(timeout=60)
    with pytest.raises(ServerShutdown):
        batcher.encode([TEXTS[5]])
