"""`interviewer judge train-cross`: fit the cross-encoder claim verifier from the data in the repo.

LoRA adapters (rank 8) on the packaged all-MiniLM-L6-v2 read as a cross-encoder, and a three-way
head, trained on the labelled pairs of `evaluation.claims` (the bank's criteria against the
sentences of `datasets/claims/`): seed 0, one torch thread, two epochs at learning rate 1e-3,
batches of 32, class-weighted cross-entropy; then one epoch on the criteria derived from the
bank's sample answers, read clause by clause as the judge reads them (`derived_pairs`). Version 2
adds sentences that pack two claims (`compound_pairs`): a dense correct sentence asserts each of
its claims, a true claim beside a wrong one does not rescue it. Version 4 adds, to both stages,
the training questions' sample-answer sentences against their own rubrics' clauses, weakly labelled
"not contradicts" (`sample_pairs`; loss -log(1 - p(contradicts))). Questions are split by a hash of
their id (`evaluation.claims.split_questions`): the validation and held-out questions are only
measured.
Version 5 (`contrast`, `--contrast`; tried and not shipped, docs/grading.md "Twelfth session") adds
the contrast, negation and dense sentences of `datasets/claims/contrast/` to both stages.
The artifact is float16 safetensors (the adapters and the head, about 0.7 MB) and a JSON file with
the configuration, the sha256 of the data and of the weights, and the measured accuracy.

The order of every step that draws from torch's or Python's generator (model construction, data
order, dropout) is part of the recipe: change it and the weights change.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.adapters.judge.offline.cross_verifier import (
    CrossConfig,
    adapter_state,
    build,
    file_sha256,
    logits,
)
from interviewer.core.models import Question
from interviewer.core.ports import Encoder
from interviewer.evaluation.claims import (
    CLAIMS_DIR,
    NOT_CONTRADICTS,
    Pair,
    build_pairs,
    derived_pairs,
    load_claims,
    sample_pairs,
    split_questions,
)
from interviewer.evaluation.claims_contrast import (
    CONTRAST_DIR,
    Contrast,
    contrast_pairs,
    labelled,
    load_contrast,
)
from interviewer.judge_train import _class_weights, data_sha256, report

VERSION = 4  # the shipped recipe; with `contrast`, version 5 (tried, not shipped)


@dataclass(frozen=True, slots=True)
class CrossTrainConfig:
    seed: int = 0
    epochs: int = 2
    batch: int = 32
    lr: float = 1e-3
    # Then one epoch at `lr_derived` on the derived criteria's pairs and as many of the first
    # stage's, so that what was learnt on the bank's short statements is kept.
    derived_epochs: int = 1
    lr_derived: float = 5e-4
    weight_decay: float = 0.01
    threads: int = 1  # fixed: a different thread count may change the last bits of the weights
    # Version 4: the sample answers' sentences against their own rubrics' clauses, weakly
    # labelled "not contradicts" (`sample_pairs`), in both stages; each weighs `weak_weight`.
    weak: bool = True
    weak_about_only: bool = True
    weak_weight: float = 1.0
    # Tried and rejected (docs/grading.md, "Ninth session"): with them, the sure contradictions of
    # flipping a clause a sentence contains (`flipped_pairs`); off in the shipped recipe.
    weak_flips: bool = False
    # Version 5: the contrast, negation and dense sentences of `datasets/claims/contrast/`
    # (`evaluation.claims_contrast`), against the bank statements in the first stage and against
    # the derived clauses in the second.
    contrast: bool = False


def predict(tok: Any, base: Any, head: Any, pairs: Sequence[Pair], cfg: CrossConfig) -> np.ndarray:
    """Probabilities (n, 3) in eval mode."""
    import torch

    base.eval()
    head.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(pairs), 64):
            b = pairs[i: i + 64]
            lg = logits(tok, base, head, [p.claim for p in b], [p.span for p in b], cfg.max_length)
            out.append(torch.softmax(lg, -1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 3), dtype=np.float32)


def strong(pairs: Sequence[Pair]) -> list[Pair]:
    """The pairs with a definite label (asserts, contradicts, neutral)."""
    return [p for p in pairs if p.label != NOT_CONTRADICTS]


def weak_only(pairs: Sequence[Pair]) -> list[Pair]:
    return [p for p in pairs if p.label == NOT_CONTRADICTS]


def contrast_extra(data: dict[str, Contrast]) -> Callable[[str, str], list[tuple[str, int, str]]]:
    """For `derived_pairs`: a bank criterion's contrast, negation and dense sentences."""
    def extra(question_id: str, criterion_id: str) -> list[tuple[str, int, str]]:
        c = data.get(question_id)
        return labelled(c, criterion_id) if c is not None else []
    return extra


def false_contradictions(pairs: Sequence[Pair], probs: np.ndarray) -> dict[str, Any]:
    """On true sentences (NOT_CONTRADICTS pairs): the share the judge's clause rule would read as
    contradicting (`verify.CLAUSE_CONTRA_MIN`, `CLAUSE_CONTRA_OVER`), by source."""
    from interviewer.adapters.judge.offline.verify import CLAUSE_CONTRA_MIN, CLAUSE_CONTRA_OVER

    flag = (probs[:, 1] >= CLAUSE_CONTRA_MIN) & (probs[:, 1] >= probs[:, 0] + CLAUSE_CONTRA_OVER)
    out: dict[str, Any] = {"n": len(pairs),
                           "false_contradictions": round(float(flag.mean()), 4) if len(pairs) else None}
    for src in sorted({p.source for p in pairs}):
        m = np.array([p.source == src for p in pairs])
        out[src] = round(float(flag[m].mean()), 4)
    return out


def train_cross(
    questions: Sequence[Question], encoder: Encoder, out: Path, *, claims_dir: Path = CLAIMS_DIR,
    tc: CrossTrainConfig | None = None, cfg: CrossConfig | None = None,
    encoder_path: str | None = None, log: Callable[[str], None] = print,
    stage1_out: Path | None = None,
) -> dict[str, Any]:
    """Build the pairs, train on the training questions, measure, write weights and metadata."""
    import torch
    from safetensors.torch import save_file

    tc = tc or CrossTrainConfig()
    cfg = cfg or CrossConfig()
    torch.set_num_threads(tc.threads)
    torch.manual_seed(tc.seed)
    rng = random.Random(tc.seed)
    tok, base, head = build(cfg, encoder_path)
    paths = sorted(claims_dir.glob("*.yaml"))
    crits, restate = load_claims(paths)
    train_q, val_q, held_q = split_questions(questions)
    train = build_pairs(train_q, crits, restate, seed=tc.seed)
    val = build_pairs(val_q, crits, restate, seed=tc.seed + 1)
    held = build_pairs(held_q, crits, restate, seed=tc.seed + 2)
    log(f"pairs: train {len(train)} ({len(train_q)} questions), validation {len(val)} "
        f"({len(val_q)}), held out {len(held)} ({len(held_q)})")
    params = [p for p in base.parameters() if p.requires_grad] + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=tc.lr, weight_decay=tc.weight_decay)

    def loss_fn(lg: Any, y: Any) -> Any:
        """Class-weighted cross-entropy; a NOT_CONTRADICTS pair's loss is -log(1 - p(contradicts))."""
        logp = torch.log_softmax(lg, -1)
        strong = y != NOT_CONTRADICTS
        nll = torch.empty_like(y, dtype=logp.dtype)
        nll[strong] = -logp[strong].gather(1, y[strong, None])[:, 0]
        nll[~strong] = -torch.logsumexp(logp[~strong][:, [0, 2]], dim=-1)
        w = class_w[y]
        return (w * nll).sum() / w.sum()

    def run_epoch(pairs: list[Pair], order: list[int], label: str) -> None:
        # `order` is shuffled in place, epoch after epoch (part of the recipe).
        base.train()
        head.train()
        rng.shuffle(order)
        seen = 0.0
        for i in range(0, len(order), tc.batch):
            b = [pairs[j] for j in order[i: i + tc.batch]]
            lg = logits(tok, base, head, [p.claim for p in b], [p.span for p in b], cfg.max_length)
            loss = loss_fn(lg, torch.tensor([p.label for p in b]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            seen += float(loss.detach()) * len(b)
        log(f"{label}: train loss {seen / len(pairs):.4f}")

    def save(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {k: v.to(torch.float16).contiguous() for k, v in adapter_state(base, head).items()}
        save_file(state, str(path))

    weak = (sample_pairs(train_q, encoder, about_only=tc.weak_about_only, flips=tc.weak_flips)
            if tc.weak else [])
    weak_val = sample_pairs(val_q, encoder, about_only=tc.weak_about_only)
    weak_held = sample_pairs(held_q, encoder, about_only=tc.weak_about_only)
    log(f"sample-answer pairs: train {len(weak)}, validation {len(weak_val)}, held out {len(weak_held)}")
    contrast_paths = sorted(CONTRAST_DIR.glob("*.yaml")) if tc.contrast else []
    contrast = load_contrast(contrast_paths)
    c_train, c_val, c_held = (contrast_pairs(qs, contrast) for qs in (train_q, val_q, held_q))
    if tc.contrast:
        log(f"contrast pairs: train {len(c_train)}, validation {len(c_val)}, held out {len(c_held)}")
    stage1 = train + weak + c_train
    class_w = torch.tensor([*_class_weights(train + strong(c_train)), tc.weak_weight])
    order = list(range(len(stage1)))
    for epoch in range(tc.epochs):
        run_epoch(stage1, order, f"epoch {epoch + 1}")
    if stage1_out is not None:
        save(stage1_out)
    extra = contrast_extra(contrast) if tc.contrast else None
    derived = derived_pairs(train_q, crits, encoder, seed=tc.seed, extra=extra)
    derived_val = derived_pairs(val_q, crits, encoder, seed=tc.seed + 1, extra=extra)
    derived_held = derived_pairs(held_q, crits, encoder, seed=tc.seed + 2, extra=extra)
    log(f"derived pairs: train {len(derived)}, validation {len(derived_val)}, "
        f"held out {len(derived_held)}")
    for group in opt.param_groups:
        group["lr"] = tc.lr_derived
    for epoch in range(tc.derived_epochs):
        mixed = derived + rng.sample(stage1, min(len(stage1), len(derived)))
        run_epoch(mixed, list(range(len(mixed))), f"derived epoch {epoch + 1}")
    save(out)
    labelled_sets = [("validation", val), ("held_out", held), ("derived_validation", derived_val),
                     ("derived_held_out", derived_held)]
    true_sets = [("sample_validation", weak_val), ("sample_held_out", weak_held)]
    # The contrast measures only where a split has contrast data (none without `contrast`).
    labelled_sets += [(n, p) for n, p in (("contrast_validation", c_val), ("contrast_held_out", c_held)) if p]
    true_sets += [(n, p) for n, p in (("dense_other_held_out", weak_only(c_held)),) if p]
    metrics: dict[str, Any] = {}
    for name, pairs in labelled_sets:
        definite = strong(pairs)
        metrics[name] = report(definite, predict(tok, base, head, definite, cfg))
    for name, pairs in true_sets:
        metrics[name] = false_contradictions(pairs, predict(tok, base, head, pairs, cfg))
    meta = {
        "version": VERSION + 1 if tc.contrast else VERSION,
        "config": asdict(cfg),
        "train_config": asdict(tc),
        "data_sha256": data_sha256(paths + contrast_paths),
        "weights_sha256": file_sha256(out),
        "questions": {"train": [q.id for q in train_q], "validation": [q.id for q in val_q],
                      "held_out": [q.id for q in held_q]},
        "metrics": metrics,
    }
    out.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta
