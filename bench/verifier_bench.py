"""The cross-encoder verifier's runtimes on the same pairs, in one run: torch against ONNX Runtime.

Usage: python bench/verifier_bench.py [--interviews dev] [--repeats 3]

The (claim, sentence) pairs are those the offline judge sends to the verifier while grading a
hand-graded interview set (recorded call by call, after the judge's pair cache, as
`bench/judge_bench.py` does). Each repeat replays every call through each runtime, interleaved, so
that machine load hits both alike; the ratio is ONNX's total time over torch's in the same repeat.
Then the two runtimes' probabilities on every pair: the largest difference, and the pairs on which
they pick a different class or fall on different sides of the 0.5 assertion threshold.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import interviewer  # noqa: F401  (offline environment)
from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder
from interviewer.adapters.judge.offline.cross_verifier import CrossVerifier
from interviewer.adapters.judge.offline.judge import OfflineJudge
from interviewer.evaluation.interviews import INTERVIEWS_DIR, derive_all, load_interviews
from interviewer.settings import Settings

Calls = list[tuple[list[str], list[str]]]


def record(judge: OfflineJudge, split: str, encoder: SentenceTransformerEncoder) -> Calls:
    """Every verifier call the judge makes while grading the split."""
    items = load_interviews(INTERVIEWS_DIR / f"{split}.yaml")
    rubrics = derive_all(items, encoder)
    verifier = judge.verifier
    assert isinstance(verifier, CrossVerifier)
    calls: Calls = []
    forward = verifier.forward

    def spy(claims: Sequence[str], spans: Sequence[str]) -> Any:
        calls.append((list(claims), list(spans)))
        return forward(claims, spans)

    verifier.forward = spy  # type: ignore[method-assign]
    try:
        for it in items:
            judge.grade_sync(question=it.question, rubric=rubrics[it.question.id], answer=it.text)
    finally:
        verifier.forward = forward  # type: ignore[method-assign]
    return calls


def replay(forward: Callable[[Sequence[str], Sequence[str]], np.ndarray], calls: Calls) -> list[float]:
    lat = []
    for claims, spans in calls:
        t = time.perf_counter()
        forward(claims, spans)
        lat.append(time.perf_counter() - t)
    return lat


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--interviews", metavar="SPLIT", default="dev")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    settings = Settings()
    encoder = SentenceTransformerEncoder.from_settings(settings)
    runtimes = {b: CrossVerifier(backend=b, cache_root=settings.encoder_cache_dir)
                for b in ("torch", "onnx")}
    judge = OfflineJudge(encoder, verify=True, clause_top_k=settings.judge_verify_top_k or None,
                         verifier_backend="torch")
    calls = record(judge, args.interviews, encoder)
    n_pairs = sum(len(c) for c, _ in calls)
    print(f"machine: {platform.machine()} python {platform.python_version()}; split {args.interviews}: "
          f"{len(calls)} verifier calls, {n_pairs} pairs; {args.repeats} interleaved repeats")
    totals: dict[str, list[float]] = {b: [] for b in runtimes}
    p50: dict[str, list[float]] = {b: [] for b in runtimes}
    for _ in range(args.repeats):
        for b, v in runtimes.items():
            lat = replay(v.forward, calls)
            totals[b].append(sum(lat))
            p50[b].append(1000 * statistics.median(lat))
    for b in runtimes:
        print(f"{b:5s}: total " + " / ".join(f"{t:.2f}" for t in totals[b]) + " s;  p50 per call "
              + " / ".join(f"{x:.1f}" for x in p50[b]) + " ms")
    ratios = [o / t for o, t in zip(totals["onnx"], totals["torch"], strict=True)]
    print("onnx / torch time, per repeat: " + " / ".join(f"{r:.2f}x" for r in ratios)
          + f"  (median {statistics.median(ratios):.2f}x)")
    claims = [c for cs, _ in calls for c in cs]
    spans = [s for _, ss in calls for s in ss]
    pt, po = runtimes["torch"].forward(claims, spans), runtimes["onnx"].forward(claims, spans)
    cross = int(((pt[:, 0] >= 0.5) != (po[:, 0] >= 0.5)).sum())
    print(f"probabilities: max |onnx - torch| {np.abs(pt - po).max():.2e}; class differs on "
          f"{int((pt.argmax(1) != po.argmax(1)).sum())} of {len(pt)} pairs; "
          f"opposite sides of 0.5 asserted on {cross}")


if __name__ == "__main__":
    main()
