"""Misconception detection for the offline judge: closer to the misconception than to the truth."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from interviewer.adapters.judge.offline.calibration import Calibration
from interviewer.adapters.judge.offline.units import Embedded, Units
from interviewer.core.models import Criterion
from interviewer.core.text import content_stems, stem, words

NEGATIONS = frozenset({"not", "no", "never", "cannot", "can't", "don't", "doesn't", "isn't"})


@dataclass(frozen=True, slots=True)
class Nearest:
    """Per unit, the best similarity to any criterion statement and to any sample sentence."""

    statement: np.ndarray
    sample: np.ndarray | None
    sample_arg: np.ndarray  # index of the closest sample sentence
    sample_stems: tuple[frozenset[str], ...]


def _flip_stems(c: Criterion, question: str) -> set[str]:
    """Stems that turn the statement into the misconception ('not', 'decreas', 'weight')."""
    mis = set(content_stems(c.misconception)) | (set(words(c.misconception)) & NEGATIONS)
    keep = set(content_stems(c.statement)) | set(content_stems(question))
    return mis - keep - (set(words(c.statement)) & NEGATIONS)


def _margin_scale(flips: set[str], own: set[str], toks: set[str]) -> float:
    """How much closer to the misconception a unit must be, given the words it shares with it.

    A content word of the misconception ('diverges', 'weights') is strong evidence; a bare
    negation is weak (embeddings barely register 'not'); no shared word needs a wide margin.
    """
    if flips & own - NEGATIONS:
        return 0.35
    if flips & NEGATIONS and toks & NEGATIONS:
        return 1.0
    return 2.5


def _novel_flips(flips: set[str], near: Nearest, i: int) -> bool:
    """Whether the unit uses a misconception word that its closest sample sentence lacks."""
    return bool(flips - NEGATIONS - near.sample_stems[int(near.sample_arg[i])])


def contradiction(
    c: Criterion, units: Units, vecs: Embedded, near: Nearest, cal: Calibration, question: str
) -> int | None:
    """A usable unit much closer to this misconception than to what a correct answer says."""
    if not c.misconception:
        return None
    msim = vecs.units @ vecs.texts[c.misconception]
    flips = _flip_stems(c, question)
    for i in np.argsort(-msim):
        if msim[i] < 0.5:
            break
        if not (units.relational[i] and units.usable[i]):
            continue
        toks = set(words(units.spans[i].text))
        own = {stem(w) for w in toks} | (toks & NEGATIONS)
        if i >= units.n_sentences:  # a misconception is stated in a sentence, not a window
            continue
        if near.sample is not None and msim[i] <= near.sample[i] and not _novel_flips(
                flips & own, near, i):
            continue
        margin = float(msim[i] - near.statement[i])
        if margin >= cal.contradiction_margin * _margin_scale(flips, own, toks):
            return int(i)
    return None
