"""The cross-encoder verifier on ONNX Runtime: the merged BERT and head exported once, offline.

The verifier's forward passes are most of an offline grading's time (`bench/judge_bench.py`). The
float32 export of the merged model (adapters added into the packaged weights, head and softmax
included), with ONNX Runtime's BERT fusions (attention, skip layer-norm, bias-GELU), reads the
same probabilities as torch to within 6e-6 and took 0.65-0.67x torch's time on the dev interview
set's pairs (docs/performance.md). Each pair runs alone: no padding, so a pair's reading never
depends on the pairs it is graded with, and with no padded tokens it was the fastest layout here.

int8 was measured and rejected: 0.5x torch's time, but probabilities moved by 0.025 on average
(0.18 at the 99th percentile) and 2 % of the pairs crossed the 0.5 assertion threshold.

The file is cached under the ONNX cache root (`onnx_runtime.default_cache_root`) in a directory
named after the adapters' and the packaged weights' sha256, the export recipe and ONNX Runtime's
version (the fused operators are its own), written atomically, never downloaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.adapters.encoder.onnx_runtime import _atomic_write, default_cache_root, weights_sha256

# Bump when the export recipe changes: the cache directory name carries it.
EXPORT_VERSION = 1
OPSET = 17
FILE = "cross.onnx"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def cache_dir(adapters: Path, model_path: str, root: Path | None = None) -> Path:
    """Where the export of these adapters over these packaged weights lives."""
    import onnxruntime

    adapters_sha = hashlib.sha256(adapters.read_bytes()).hexdigest()[:16]
    base_sha = weights_sha256(model_path)[:16]
    key = f"cross-{adapters_sha}-{base_sha}-v{EXPORT_VERSION}-ort{onnxruntime.__version__}"
    return (root or default_cache_root()) / key


def export(adapters: Path, model_path: str, merged: Callable[[], tuple[Any, Any]],
           root: Path | None = None) -> Path:
    """The fused float32 ONNX file for these adapters, exported now (from `merged()`: the torch
    BERT with the adapters added in, and the head) if it is not cached."""
    target = cache_dir(adapters, model_path, root) / FILE
    if not target.exists():
        _atomic_write(target, lambda tmp: _export(merged, model_path, tmp))
    return target


def _export(merged: Callable[[], tuple[Any, Any]], model_path: str, out: str) -> None:
    import torch
    from onnxruntime.transformers import optimizer
    from transformers import AutoTokenizer

    base, head = merged()
    # Eager attention traces to plain MatMul/Softmax, the pattern the BERT fusions recognise.
    base.config._attn_implementation = "eager"

    class Probabilities(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.base, self.head = base, head

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.base(input_ids=input_ids, attention_mask=attention_mask,
                            token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(out.dtype)
            mean = (out * mask).sum(1) / mask.sum(1)
            return torch.softmax(self.head(torch.cat([out[:, 0], mean], -1)), dim=-1)

    tok = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
    sample = tok(["a claim to trace", "two"], ["a sentence to trace the graph", "words"],
                 padding=True, return_tensors="pt")
    dynamic = {name: {0: "batch", 1: "sequence"} for name in INPUTS}
    dynamic["probabilities"] = {0: "batch"}
    plain = out + ".plain.onnx"
    try:
        with torch.no_grad():
            torch.onnx.export(
                Probabilities().eval(), tuple(sample[k] for k in INPUTS), plain,
                input_names=list(INPUTS), output_names=["probabilities"], dynamic_axes=dynamic,
                opset_version=OPSET, dynamo=False, do_constant_folding=True,
            )
        cfg = base.config
        fused = optimizer.optimize_model(plain, model_type="bert", num_heads=cfg.num_attention_heads,
                                         hidden_size=cfg.hidden_size, opt_level=1)
        fused.save_model_to_file(out)
    finally:
        Path(plain).unlink(missing_ok=True)


class OnnxPairs:
    """(claim, span) pairs -> (n, 3) probabilities, one ONNX Runtime run per pair."""

    def __init__(self, onnx_file: Path, tokenizer: Any, max_length: int, *, threads: int) -> None:
        import onnxruntime as ort

        self.tokenizer = tokenizer
        self.max_length = max_length
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        # As for the encoder: idle workers must not spin on the cores the event loop needs.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(onnx_file), opts, providers=["CPUExecutionProvider"])

    def __call__(self, claims: Sequence[str], spans: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(claims), 3), dtype=np.float32)
        if not len(claims):
            return out
        enc = self.tokenizer(list(claims), list(spans), truncation=True, max_length=self.max_length)
        for i in range(len(claims)):
            feeds = {k: np.asarray([enc[k][i]], dtype=np.int64) for k in INPUTS}
            out[i] = self.session.run(None, feeds)[0][0]
        return out
