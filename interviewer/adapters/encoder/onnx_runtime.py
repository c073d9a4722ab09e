"""ONNX Runtime forward pass of the packaged all-MiniLM-L6-v2, exported offline from its weights.

sentence-transformers' own `backend="onnx"` needs optimum-onnx, whose releases pin transformers < 4.58
(we run transformers 5), so the export is done here: torch's TorchScript exporter writes float32
ONNX from the packaged safetensors, and ONNX Runtime's dynamic quantisation writes the int8 copy
(per-channel int8 weights of the MatMuls only: quantising the embedding lookup as well moved the
sentence vectors twice as far from torch's). Both files are cached under a directory named after
the weights' sha256, written atomically, and never downloaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

Backend = Literal["torch", "onnx", "onnx-int8"]
BACKENDS: tuple[Backend, ...] = ("torch", "onnx", "onnx-int8")
# Bump when the export recipe changes: the cache directory name carries it.
EXPORT_VERSION = 1
OPSET = 17
FP32_FILE, INT8_FILE = "model.onnx", "model_int8.onnx"
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def default_cache_root() -> Path:
    """`$XDG_CACHE_HOME/interviewer/onnx` (else `~/.cache/interviewer/onnx`)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "interviewer" / "onnx"


def weights_sha256(model_path: str | Path) -> str:
    """sha256 of the model's weights file (model.safetensors): names the cache entry."""
    h = hashlib.sha256()
    with (Path(model_path) / "model.safetensors").open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cache_dir(model_path: str | Path, root: Path | None = None) -> Path:
    """Where the exported files of these weights live."""
    return (root or default_cache_root()) / f"{weights_sha256(model_path)[:16]}-v{EXPORT_VERSION}"


def _atomic_write(target: Path, write: Any) -> None:
    """Call `write(tmp_path)` then rename into place, so a concurrent reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _export_fp32(model_path: str, out: str) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    class LastHidden(torch.nn.Module):
        def __init__(self, base: Any) -> None:
            super().__init__()
            self.base = base

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.base(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    # Eager attention traces to plain MatMul/Softmax, which ONNX Runtime fuses at load time.
    base = AutoModel.from_pretrained(model_path, local_files_only=True, attn_implementation="eager")
    tok = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
    sample = tok(["a sample sentence to trace the graph", "two"], padding=True, return_tensors="pt")
    dynamic = {name: {0: "batch", 1: "sequence"} for name in (*_INPUTS, "last_hidden_state")}
    with torch.no_grad():
        torch.onnx.export(
            LastHidden(base.eval()), tuple(sample[k] for k in _INPUTS), out,
            input_names=list(_INPUTS), output_names=["last_hidden_state"], dynamic_axes=dynamic,
            opset_version=OPSET, dynamo=False, do_constant_folding=True,
        )


def _quantise(fp32: str, out: str) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(fp32, out, weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul"])


def export(model_path: str | Path, *, int8: bool, root: Path | None = None) -> Path:
    """The ONNX file for these weights (float32, or dynamic int8), exported now if not cached."""
    directory = cache_dir(model_path, root)
    fp32 = directory / FP32_FILE
    if not fp32.exists():
        _atomic_write(fp32, lambda tmp: _export_fp32(str(model_path), tmp))
    if not int8:
        return fp32
    q = directory / INT8_FILE
    if not q.exists():
        _atomic_write(q, lambda tmp: _quantise(str(fp32), tmp))
    return q


@dataclass(frozen=True, slots=True)
class Features:
    """One text's forward pass: the pooled vector and its tokens' vectors (no padding)."""

    sentence: np.ndarray  # (384,) float32, L2-normalised
    input_ids: list[int]  # with [CLS] and [SEP]
    tokens: np.ndarray  # (len(input_ids), 384) float32, contextual token vectors


class OnnxForward:
    """Tokenizer + ONNX Runtime session; mean pooling and normalisation as the packaged model does."""

    def __init__(self, model_path: str, onnx_file: Path, *, threads: int,
                 one_by_one: bool = False) -> None:
        """`one_by_one`: run each text alone. A dynamically quantised graph scales its activations
        per tensor, so in a batch a text's vector depended on its batch mates and on their padding
        (cosine 0.985-0.993 between the two): the same answer could grade differently with who
        else was being graded. Alone, a text always gets the same vector; and with no padding it
        was also faster than batches of 32 on this CPU (docs/performance.md)."""
        self.one_by_one = one_by_one
        import onnxruntime as ort
        from transformers import AutoTokenizer

        self.tokenizer: Any = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
        config = json.loads((Path(model_path) / "sentence_bert_config.json").read_text())
        self.max_length = int(config.get("max_seq_length", 256))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        # ONNX Runtime's workers spin between runs by default: on a 2-core box they would take the
        # cores from the event loop and the grading threads between batches.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(onnx_file), opts, providers=["CPUExecutionProvider"])

    def __call__(self, texts: Sequence[str]) -> list[Features]:
        if self.one_by_one and len(texts) > 1:
            return [self._run([t])[0] for t in texts]
        return self._run(texts)

    def _run(self, texts: Sequence[str]) -> list[Features]:
        enc = self.tokenizer(list(texts), padding=True, truncation="longest_first",
                             max_length=self.max_length, return_tensors="np")
        feeds = {k: np.asarray(enc[k], dtype=np.int64) for k in _INPUTS}
        hidden = np.asarray(self.session.run(None, feeds)[0], dtype=np.float32)
        mask = feeds["attention_mask"].astype(np.float32)[..., None]
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        lengths = feeds["attention_mask"].sum(axis=1)
        return [Features(pooled[i], feeds["input_ids"][i, :n].tolist(), hidden[i, :n])
                for i, n in enumerate(lengths.tolist())]
