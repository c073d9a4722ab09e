"""The cross-encoder verifier on ONNX Runtime: exported offline from the merged adapters, the same
readings as torch, cached under the adapters' and weights' sha256, chosen by the settings."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from interviewer.adapters.judge.offline.cross_onnx import FILE, cache_dir
from interviewer.adapters.judge.offline.cross_verifier import DEFAULT_CROSS, CrossVerifier, model_path
from interviewer.settings import Settings
from interviewer.wiring import build_offline_judge

CLAIMS = [
    "RoPE rotates queries and keys by an angle proportional to their position.",
    "RoPE rotates queries and keys by an angle proportional to their position.",
    "RoPE rotates queries and keys by an angle proportional to their position.",
    "The KV cache stores the keys and values of earlier tokens.",
    "The KV cache stores the keys and values of earlier tokens.",
    "LoRA freezes the pretrained weights and trains two low-rank matrices beside them.",
]
SPANS = [
    "Each query and key vector is turned by an angle that grows with the token's index.",
    "RoPE adds a learned position vector to each token embedding at the input layer.",
    "RoPE. Rotation. Relative position.",
    "During decoding the model keeps earlier tokens' keys and values so it does not recompute them.",
    "The KV cache stores the queries of earlier tokens, because keys are recomputed each step.",
    "Gradient checkpointing recomputes activations in the backward pass to save memory.",
]


@pytest.fixture(scope="module")
def onnx(tmp_path_factory: pytest.TempPathFactory) -> CrossVerifier:
    """Exported into a cache of its own (`onnx.cache_root`), never the machine's."""
    return CrossVerifier(backend="onnx", cache_root=tmp_path_factory.mktemp("cross-onnx"))


@pytest.fixture(scope="module")
def torch_verifier() -> CrossVerifier:
    return CrossVerifier(backend="torch")


def test_onnx_reads_the_same_probabilities_as_torch(onnx: CrossVerifier, torch_verifier: CrossVerifier) -> None:
    a = torch_verifier.forward(CLAIMS, SPANS)
    b = onnx.forward(CLAIMS, SPANS)
    assert a.shape == b.shape == (len(CLAIMS), 3)
    np.testing.assert_allclose(b.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(b, a, atol=1e-4)
    assert list(b.argmax(axis=1)) == list(a.argmax(axis=1))
    # Not a constant: the readings differ between pairs as torch's do.
    assert float(np.ptp(b[:, 0])) > 0.3


def test_a_pairs_reading_does_not_depend_on_its_batch(onnx: CrossVerifier) -> None:
    together = onnx.forward(CLAIMS, SPANS)
    alone = np.stack([onnx.forward([c], [s])[0] for c, s in zip(CLAIMS, SPANS, strict=True)])
    np.testing.assert_array_equal(together, alone)
    assert onnx.forward([], []).shape == (0, 3)


def test_the_export_is_cached_under_the_adapters_and_weights(onnx: CrossVerifier, tmp_path: Path) -> None:
    root = onnx.cache_root
    assert root is not None
    target = cache_dir(DEFAULT_CROSS, model_path(), root) / FILE
    assert target.exists() and onnx.backend == "onnx"
    stamp = target.stat().st_mtime_ns
    again = CrossVerifier(backend="onnx", cache_root=root)  # loads, does not export again
    assert target.stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(again.forward(CLAIMS[:2], SPANS[:2]), onnx.forward(CLAIMS[:2], SPANS[:2]))
    # Other adapters (a retrained verifier) never read a stale export.
    other = tmp_path / "cross-other.safetensors"
    shutil.copy(DEFAULT_CROSS, other)
    shutil.copy(DEFAULT_CROSS.with_suffix(".json"), other.with_suffix(".json"))
    with other.open("ab") as fh:
        fh.write(b"\0")
    assert cache_dir(other, model_path(), root) != cache_dir(DEFAULT_CROSS, model_path(), root)


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown verifier backend"):
        CrossVerifier(backend="tensorrt")  # type: ignore[arg-type]


def test_settings_choose_the_verifiers_backend(onnx: CrossVerifier, encoder) -> None:  # type: ignore[no-untyped-def]
    root = onnx.cache_root
    for backend in ("torch", "onnx"):
        settings = Settings(_env_file=None, judge_verifier_backend=backend,  # type: ignore[call-arg]
                            encoder_cache_dir=root)
        judge = build_offline_judge(settings, encoder)
        assert isinstance(judge.verifier, CrossVerifier) and judge.verifier.backend == backend
    with pytest.raises(ValueError):
        Settings(_env_file=None, judge_verifier_backend="cuda")  # type: ignore[call-arg]
