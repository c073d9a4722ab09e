"""Contrast, negation and dense sentences (`datasets/claims/contrast/`): labelled pairs for the
cross-encoder's version 5 recipe.

cross-v4 misread two constructions correct answers use all the time (docs/grading.md, "Eleventh
session"): a contrast ("adds a fixed penalty *instead of* position embeddings" read as contradicting
"adds no position embeddings") and a terse sentence that packs several claims ("... needing teacher
logits and a shared tokenizer" read as contradicting "the two models must share a tokenizer"); and it
read a negation that repeats a claim's own words as asserting it. For every criterion of the claims
data the files hold one sentence that states the claim through a contrast, the same construction with
the contrast reversed, and a near-verbatim negation; for every question, two dense sentences that
state two or three of its criteria at once (`states`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from interviewer.core.models import Question
from interviewer.evaluation.claims import (
    ASSERTS,
    CLAIMS_DIR,
    CONTRADICTS,
    NEUTRAL,
    NOT_CONTRADICTS,
    Pair,
)

CONTRAST_DIR = CLAIMS_DIR / "contrast"


@dataclass(frozen=True, slots=True)
class Contrast:
    """One question's sentences: per criterion id, (contrast_asserts, contrast_contradicts,
    negation); and its dense sentences with the criterion ids each states."""

    question_id: str
    criteria: dict[str, tuple[str, str, str]]
    dense: tuple[tuple[tuple[str, ...], str], ...]


def load_contrast(paths: Iterable[Path]) -> dict[str, Contrast]:
    out: dict[str, Contrast] = {}
    for path in sorted(paths):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for q in doc.get("questions") or []:
            qid = str(q["question_id"])
            crit = {str(c["criterion_id"]): (str(c["contrast_asserts"]), str(c["contrast_contradicts"]),
                                             str(c["negation"]))
                    for c in q.get("criteria") or []}
            dense = tuple((tuple(str(s) for s in d["states"]), str(d["text"])) for d in q.get("dense") or [])
            out[qid] = Contrast(qid, crit, dense)
    return out


def labelled(contrast: Contrast, criterion_id: str) -> list[tuple[str, int, str]]:
    """(sentence, label, source) for one criterion: its contrast assertion, the reversed contrast
    and the negation (both contradict); the next criterion's contrast assertion and negation
    (neutral: a contradiction must be about this claim, not a neighbour's); every dense sentence
    of its question that states it (asserts) and every one that does not (not contradicts: a dense
    sentence about its neighbours says nothing against it)."""
    out: list[tuple[str, int, str]] = []
    if criterion_id in contrast.criteria:
        pos, rev, neg = contrast.criteria[criterion_id]
        out += [(pos, ASSERTS, "contrast:asserts"), (rev, CONTRADICTS, "contrast:reversed"),
                (neg, CONTRADICTS, "contrast:negation")]
        ids = list(contrast.criteria)
        nxt = ids[(ids.index(criterion_id) + 1) % len(ids)]
        if nxt != criterion_id:
            o_pos, _, o_neg = contrast.criteria[nxt]
            out += [(o_pos, NEUTRAL, "contrast:other_asserts"), (o_neg, NEUTRAL, "contrast:other_negation")]
    for states, text in contrast.dense:
        if criterion_id in states:
            out.append((text, ASSERTS, "dense:asserts"))
        else:
            out.append((text, NOT_CONTRADICTS, "dense:other"))
    return out


def contrast_pairs(questions: Sequence[Question], data: dict[str, Contrast]) -> list[Pair]:
    """Pairs against the bank criteria's statements, and the contrast assertion against the
    misconception (contradicts)."""
    out: list[Pair] = []
    for q in questions:
        c = data.get(q.id)
        if c is None or q.rubric is None:
            continue
        for crit in q.rubric.criteria:
            out += [Pair(crit.statement, s, y, q.id, src) for s, y, src in labelled(c, crit.id)]
            if crit.misconception and crit.id in c.criteria:
                out.append(Pair(crit.misconception, c.criteria[crit.id][0], CONTRADICTS, q.id,
                                "contrast:misconception_denied"))
    return out
