"""`interviewer judge train`: fit the claim-verification head from the data in the repository.

Reproducible: fixed seed, one torch thread, deterministic algorithms, the bank and
`datasets/claims/` as the only inputs. Questions are split by a hash of their id (see
`evaluation.claims`): the validation questions choose the number of epochs, the held-out ones are
only measured. The artifact is float16 safetensors plus a JSON file with the configuration, the
sha256 of the data and of the weights, and the measured accuracy.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.adapters.judge.offline.claim_verifier import LABELS, HeadConfig, build_head, file_sha256, pad
from interviewer.core.models import Question
from interviewer.core.ports import Encoder
from interviewer.evaluation.claims import CLAIMS_DIR, Pair, build_pairs, load_claims, split_questions

VERSION = 1


@dataclass(frozen=True, slots=True)
class TrainConfig:
    seed: int = 0
    epochs: int = 30
    batch: int = 32
    lr: float = 5e-4
    weight_decay: float = 0.01
    patience: int = 6
    threads: int = 1  # fixed: a different thread count may change the last bits of the weights


def data_sha256(paths: Sequence[Path]) -> str:
    import hashlib

    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def encode_pairs(encoder: Encoder, pairs: Sequence[Pair]) -> dict[str, np.ndarray]:
    """Token vectors of every distinct text of the pairs (one encoder pass)."""
    texts = list(dict.fromkeys([p.claim for p in pairs] + [p.span for p in pairs]))
    out: dict[str, np.ndarray] = {}
    step = 256
    for i in range(0, len(texts), step):
        chunk = texts[i: i + step]
        for t, tv in zip(chunk, encoder.encode_tokens(chunk), strict=True):
            out[t] = np.asarray(tv.vectors, dtype=np.float32)
    return out


def _tensors(pairs: Sequence[Pair], vecs: dict[str, np.ndarray], cfg: HeadConfig) -> tuple[Any, ...]:
    import torch

    c, cm = pad([vecs[p.claim] for p in pairs], cfg.max_tokens)
    s, sm = pad([vecs[p.span] for p in pairs], cfg.max_tokens)
    y = np.array([p.label for p in pairs], dtype=np.int64)
    return (torch.from_numpy(c), torch.from_numpy(cm), torch.from_numpy(s), torch.from_numpy(sm),
            torch.from_numpy(y))


def predict(head: Any, pairs: Sequence[Pair], vecs: dict[str, np.ndarray], cfg: HeadConfig) -> np.ndarray:
    """Probabilities (n, 3) of a head in eval mode."""
    import torch

    head.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(pairs), 256):
            c, cm, s, sm, _ = _tensors(pairs[i: i + 256], vecs, cfg)
            out.append(torch.softmax(head(c, cm, s, sm), dim=-1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 3), dtype=np.float32)


def report(pairs: Sequence[Pair], probs: np.ndarray) -> dict[str, Any]:
    """Accuracy, per-label recall, per-source accuracy and the confusion matrix."""
    if not len(pairs):
        return {"n": 0}
    y = np.array([p.label for p in pairs])
    pred = probs.argmax(axis=1)
    conf = np.zeros((3, 3), dtype=int)
    for t, q in zip(y, pred, strict=True):
        conf[t, q] += 1
    by_source: dict[str, list[bool]] = {}
    for p, q in zip(pairs, pred, strict=True):
        by_source.setdefault(p.source, []).append(bool(q == p.label))
    return {
        "n": len(pairs),
        "accuracy": round(float((pred == y).mean()), 4),
        "recall": {LABELS[k]: round(float((pred[y == k] == k).mean()), 4) if (y == k).any() else None
                   for k in range(3)},
        "by_source": {k: round(float(np.mean(v)), 4) for k, v in sorted(by_source.items())},
        "confusion": conf.tolist(),
    }


def _class_weights(pairs: Sequence[Pair]) -> list[float]:
    counts = Counter(p.label for p in pairs)
    total = sum(counts.values())
    return [total / (3 * max(1, counts[k])) for k in range(3)]


def fit(
    train: Sequence[Pair], val: Sequence[Pair], vecs: dict[str, np.ndarray], cfg: HeadConfig,
    tc: TrainConfig, log: Callable[[str], None] = print,
) -> tuple[Any, int]:
    """Train with early stopping on validation loss; returns the best head and its epoch."""
    import torch

    torch.manual_seed(tc.seed)
    rng = random.Random(tc.seed)
    head = build_head(cfg)
    opt = torch.optim.AdamW(head.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(_class_weights(train)))
    best: tuple[float, int, dict[str, Any]] | None = None
    order = list(range(len(train)))
    for epoch in range(1, tc.epochs + 1):
        head.train()
        rng.shuffle(order)
        total = 0.0
        for i in range(0, len(order), tc.batch):
            batch = [train[j] for j in order[i: i + tc.batch]]
            c, cm, s, sm, y = _tensors(batch, vecs, cfg)
            opt.zero_grad()
            loss = loss_fn(head(c, cm, s, sm), y)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(batch)
        if not val:
            best = (0.0, epoch, {k: v.clone() for k, v in head.state_dict().items()})
            continue
        probs = predict(head, val, vecs, cfg)
        y_val = np.array([p.label for p in val])
        val_loss = float(-np.mean(np.log(probs[np.arange(len(val)), y_val] + 1e-9)))
        acc = float((probs.argmax(1) == y_val).mean())
        log(f"epoch {epoch}: train loss {total / len(train):.4f}  val loss {val_loss:.4f}  acc {acc:.3f}")
        if best is None or val_loss < best[0]:
            best = (val_loss, epoch, {k: v.clone() for k, v in head.state_dict().items()})
        elif epoch - best[1] >= tc.patience:
            break
    assert best is not None
    head.load_state_dict(best[2])
    head.eval()
    return head, best[1]


def train_verifier(
    encoder: Encoder, questions: Sequence[Question], out: Path, *, claims_dir: Path = CLAIMS_DIR,
    tc: TrainConfig | None = None, cfg: HeadConfig | None = None, log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Build the pairs, train on the training questions, measure, write weights and metadata."""
    import torch
    from safetensors.torch import save_file

    tc = tc or TrainConfig()
    cfg = cfg or HeadConfig()
    torch.set_num_threads(tc.threads)
    torch.use_deterministic_algorithms(True)
    paths = sorted(claims_dir.glob("*.yaml"))
    crits, restate = load_claims(paths)
    train_q, val_q, held_q = split_questions(questions)
    train = build_pairs(train_q, crits, restate, seed=tc.seed)
    val = build_pairs(val_q, crits, restate, seed=tc.seed + 1)
    held = build_pairs(held_q, crits, restate, seed=tc.seed + 2)
    log(f"pairs: train {len(train)} ({len(train_q)} questions), validation {len(val)} "
        f"({len(val_q)}), held out {len(held)} ({len(held_q)})")
    vecs = encode_pairs(encoder, [*train, *val, *held])
    head, epoch = fit(train, val, vecs, cfg, tc, log)
    metrics = {
        "train": report(train, predict(head, train, vecs, cfg)),
        "validation": report(val, predict(head, val, vecs, cfg)),
        "held_out": report(held, predict(head, held, vecs, cfg)),
        "epochs": epoch,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in head.state_dict().items()}
    save_file(state, str(out))
    meta = {
        "version": VERSION,
        "config": asdict(cfg),
        "train_config": asdict(tc),
        "encoder": getattr(encoder, "name", "unknown"),
        "data_sha256": data_sha256(paths),
        "weights_sha256": file_sha256(out),
        "questions": {"train": [q.id for q in train_q], "validation": [q.id for q in val_q],
                      "held_out": [q.id for q in held_q]},
        "metrics": metrics,
    }
    out.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta
