"""Claim verification: does a span of the answer assert a criterion's claim, contradict it, or
only mention its topic?

A small cross-attention head over *frozen* token features: the contextual word-piece vectors of
the packaged all-MiniLM-L6-v2 that the offline judge already computes for every criterion and
answer sentence (`Encoder.encode_tokens`), so verification costs no second pass of the encoder.
The claim's and the span's tokens are projected to a narrow width, tagged with their side and
position and each token's best cosine with the other side, and read by two Transformer layers
from a learnt summary token. Trained by `interviewer judge train` on sentences the project wrote
(`datasets/claims/`); weights ship in `interviewer/calibration/` as float16 safetensors.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from interviewer import PACKAGE_DIR
from interviewer.core.ports import TokenVectors

CALIBRATION_DIR = PACKAGE_DIR / "calibration"
DEFAULT_VERIFIER = CALIBRATION_DIR / "verifier-v1.safetensors"
LABELS = ("asserts", "contradicts", "neutral")
ASSERTS, CONTRADICTS, NEUTRAL = range(3)
MAX_TOKENS = 64  # per side; a longer span is cut (the judge verifies sentences)


@dataclass(frozen=True, slots=True)
class HeadConfig:
    dim_in: int = 384
    width: int = 128
    layers: int = 2
    heads: int = 4
    ff: int = 256
    dropout: float = 0.1
    max_tokens: int = MAX_TOKENS


def build_head(cfg: HeadConfig) -> Any:
    """The torch module (imported lazily: the core and the API never load torch for this)."""
    import torch
    from torch import nn

    class ClaimHead(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cfg = cfg
            self.proj = nn.Linear(cfg.dim_in + 1, cfg.width)
            self.side = nn.Embedding(2, cfg.width)
            self.pos = nn.Embedding(cfg.max_tokens, cfg.width)
            self.summary = nn.Parameter(torch.zeros(1, 1, cfg.width))
            layer = nn.TransformerEncoderLayer(
                cfg.width, cfg.heads, cfg.ff, cfg.dropout, batch_first=True, norm_first=True
            )
            self.body = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(cfg.width)
            self.out = nn.Linear(cfg.width, len(LABELS))

        def forward(self, claim: Any, claim_mask: Any, span: Any, span_mask: Any) -> Any:
            # Best cosine of each token with a token of the other side (rows are L2-normalised).
            sim = torch.einsum("bcd,bsd->bcs", claim, span)
            neg = torch.finfo(sim.dtype).min
            c_best = sim.masked_fill(~span_mask[:, None, :], neg).amax(dim=2)
            s_best = sim.masked_fill(~claim_mask[:, :, None], neg).amax(dim=1)
            c_best = torch.where(claim_mask, c_best, torch.zeros_like(c_best))
            s_best = torch.where(span_mask, s_best, torch.zeros_like(s_best))
            c = self.proj(torch.cat([claim, c_best[..., None]], dim=-1))
            s = self.proj(torch.cat([span, s_best[..., None]], dim=-1))
            pc = torch.arange(claim.shape[1], device=claim.device)
            ps = torch.arange(span.shape[1], device=span.device)
            c = c + self.side.weight[0] + self.pos(pc)[None]
            s = s + self.side.weight[1] + self.pos(ps)[None]
            x = torch.cat([self.summary.expand(claim.shape[0], -1, -1), c, s], dim=1)
            keep = torch.cat([torch.ones_like(claim_mask[:, :1]), claim_mask, span_mask], dim=1)
            h = self.body(x, src_key_padding_mask=~keep)
            return self.out(self.norm(h[:, 0]))

    return ClaimHead()


def pad(batch: Sequence[np.ndarray], max_tokens: int = MAX_TOKENS) -> tuple[np.ndarray, np.ndarray]:
    """Stack token matrices into (batch, longest, dim) float32 and a bool mask."""
    n = min(max_tokens, max((len(m) for m in batch), default=1)) or 1
    dim = batch[0].shape[1] if batch else 384
    out = np.zeros((len(batch), n, dim), dtype=np.float32)
    mask = np.zeros((len(batch), n), dtype=bool)
    for i, m in enumerate(batch):
        k = min(n, len(m))
        out[i, :k] = m[:k]
        mask[i, :k] = True
        if k == 0:  # an empty side still needs one position to attend to
            mask[i, 0] = True
    return out, mask


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class ClaimVerifier:
    """Loads the trained head (float16 on disk, float32 in memory) and scores (claim, span) pairs."""

    def __init__(self, path: Path | None = None) -> None:
        import torch
        from safetensors.torch import load_file

        self.path = path or DEFAULT_VERIFIER
        meta = json.loads(self.path.with_suffix(".json").read_text(encoding="utf-8"))
        self.meta: dict[str, Any] = meta
        self.version = str(meta["version"])
        self.cfg = HeadConfig(**meta["config"])
        head = build_head(self.cfg)
        state = {k: v.float() for k, v in load_file(str(self.path)).items()}
        head.load_state_dict(state)
        head.eval()
        self._head = head
        self._torch = torch
        self._lock = threading.Lock()

    def probabilities(self, claims: Sequence[TokenVectors], spans: Sequence[TokenVectors]) -> np.ndarray:
        """(n, 3) probabilities of asserts / contradicts / neutral, one row per (claim, span)."""
        if not claims:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        c, cm = pad([np.asarray(t.vectors, dtype=np.float32) for t in claims], self.cfg.max_tokens)
        s, sm = pad([np.asarray(t.vectors, dtype=np.float32) for t in spans], self.cfg.max_tokens)
        torch = self._torch
        with self._lock, torch.inference_mode():
            logits = self._head(torch.from_numpy(c), torch.from_numpy(cm),
                                torch.from_numpy(s), torch.from_numpy(sm))
            probs = torch.softmax(logits, dim=-1)
        out: np.ndarray = probs.numpy().astype(np.float32)
        return out
