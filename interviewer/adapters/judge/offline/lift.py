"""Credit for claims an answer states in other words than the rubric's (`lift_by_sample`): the
verifier reads the sample answer's own sentences, each as the claim, against the answer's closest
sentences. A dense sentence that states three claims feeds one criterion in the similarity
features; the verifier reads it as asserting each (docs/grading.md, "Fourteenth session")."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from interviewer.adapters.judge.offline.claim_verifier import ASSERTS, CONTRADICTS
from interviewer.adapters.judge.offline.units import Units
from interviewer.adapters.judge.offline.verify import SUPPORT_MIN
from interviewer.core.models import CriterionResult, Evidence, Verdict
from interviewer.core.ports import Encoder
from interviewer.core.scoring import BANDS
from interviewer.core.text import split_sentences, words

# The same reading as credit (`lift_by_sample`): a criterion the similarity features credit under
# LIFT_BELOW, neither contradicted nor capped by a rule, earns LIFT_CREDIT x the share of its
# sample sentences that one of their LIFT_NEAREST closest answer sentences (of LIFT_MIN_WORDS words
# or more: a term or a fragment asserts nothing) asserts at SUPPORT_MIN or more, above its
# contradiction; and only when two criteria or more are lifted, as for an overrule: one reading
# never moves a grade (one-criterion rubrics, most of ASAG, keep the similarity grade). Chosen on
# the dev interview set and ASAG dev (docs/grading.md, "Fourteenth session").
LIFT_BELOW = 0.8
LIFT_CREDIT = 0.85
LIFT_NEAREST = 1
LIFT_MIN_WORDS = 4
LIFT_MIN_CRITERIA = 2


def sample_sources(sample_vectors: np.ndarray, sample: Sequence[str], statement: str,
                   statement_vector: np.ndarray) -> list[int]:
    """The sample sentences a criterion was derived from (those it contains, or that contain it);
    for a criterion not cut from the sample answer, the sample sentence closest to it."""
    bare = statement.rstrip(" .!?")
    own = [i for i, t in enumerate(sample) if t.rstrip(" .!?") in statement or bare in t]
    return own or ([int(np.argmax(sample_vectors @ statement_vector))] if len(sample) else [])


def lift_by_sample(
    probabilities: Callable[[list[str], list[str]], np.ndarray], encoder: Encoder,
    sample_answer: str, statements: Sequence[str], results: Sequence[CriterionResult],
    units: Units,
) -> list[CriterionResult]:
    """Credit for claims the answer states in other words than the rubric's: each under-credited
    criterion's sample sentences are read, each as the claim, against their closest answer
    sentences (`LIFT_*`). A dense sentence that states three claims feeds one criterion in the
    similarity features; the verifier reads it as asserting each (docs/grading.md)."""
    sample = [a.text for a in split_sentences(sample_answer)] if sample_answer else []
    ns = units.n_sentences
    idx = [i for i in range(ns) if units.usable[i] and len(words(units.spans[i].text)) >= LIFT_MIN_WORDS]
    todo = [j for j, r in enumerate(results) if r.verdict != Verdict.CONTRADICTED and not r.note
            and (r.credit or 0.0) < LIFT_BELOW]
    if not sample or not idx or len(todo) < LIFT_MIN_CRITERIA:
        return list(results)
    svec = encoder.encode(sample)  # cached: the judge's anchors
    avec = encoder.encode([units.spans[i].text for i in idx])
    stv = encoder.encode([statements[j] for j in todo])
    wanted: list[tuple[int, int, int]] = []  # (criterion, sample sentence, answer sentence position)
    for n, j in enumerate(todo):
        for k in sample_sources(svec, sample, statements[j], stv[n]):
            wanted += [(j, k, int(s)) for s in np.argsort(-(avec @ svec[k]), kind="stable")[:LIFT_NEAREST]]
    probs = probabilities([sample[k] for _, k, _ in wanted], [units.spans[idx[s]].text for *_, s in wanted])
    out, lifted = list(results), 0
    for j in todo:
        mine = [(k, s, p) for (jj, k, s), p in zip(wanted, probs, strict=True) if jj == j]
        hits = [(k, s, float(p[ASSERTS])) for k, s, p in mine
                if p[ASSERTS] >= SUPPORT_MIN and p[ASSERTS] > p[CONTRADICTS]]
        credit = LIFT_CREDIT * len({k for k, _, _ in hits}) / len({k for k, _, _ in mine})
        r = results[j]
        if not hits or credit <= (r.credit or 0.0):
            continue
        _, s, p = max(hits, key=lambda h: h[2])  # the clearest assertion is the evidence
        span = units.spans[idx[s]]
        verdict = next(v for v in (Verdict.MET, Verdict.PARTIAL, Verdict.MISSED) if credit >= BANDS[v][0])
        credit = min(credit, BANDS[verdict][1])  # within its verdict's band, as scoring counts it
        out[j] = replace(r, verdict=verdict,
                         credit=round(credit, 4), evidence=Evidence(span.start, span.end, span.text),
                         confidence=round(min(1.0, 0.5 + abs(p - 0.5)), 3),
                         note="Stated in other words than the rubric's (the verifier reads the "
                              "sample answer's claim in it).")
        lifted += 1
    return out if lifted >= LIFT_MIN_CRITERIA else list(results)
