"""Offline judge throughput and latency against the raw encoder on the same texts, in one run.

Usage: python bench/judge_bench.py [--answers 200] [--verify] [--interviews dev]

Baseline: for every answer, one encoder call on exactly the texts the judge encodes (sentences,
windows), and with --verify the cross-encoder's passes on exactly the (claim, sentence) pairs the
judge reads for that answer (recorded in a first pass; issue 15 asks for the judge's throughput
against "the raw model cost of the same forward passes"). Judge: `OfflineJudge.grade_sync` on the
same answers. Both start from the same warm cache of rubric embeddings (criteria are encoded
once, as in the server), so the ratio shows the judge's own overhead on top of the model. Target: judge throughput >= 0.85 x encoder throughput.

The answers are the bank's sample answers and the robustness suite's gaming variants of them, or
with --interviews a hand-graded interview set (datasets/interviews: every kind of answer, a tenth
of them confident misconceptions, the answers that make the verifier read every pair).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from typing import Any

import interviewer  # noqa: F401  (offline environment)
from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.encoder.onnx_runtime import BACKENDS
from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder
from interviewer.adapters.judge.offline.cross_verifier import VERIFIER_BACKENDS, CrossVerifier
from interviewer.adapters.judge.offline.judge import OfflineJudge, answer_units
from interviewer.core.models import Question, Rubric
from interviewer.evaluation.interviews import INTERVIEWS_DIR, derive_all, load_interviews
from interviewer.evaluation.robustness import attack_variants
from interviewer.settings import REPO_ROOT, Settings


def reset_cache(encoder: SentenceTransformerEncoder, keep: set[str]) -> None:
    for key in [k for k in encoder._cache if k not in keep]:
        del encoder._cache[key]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--answers", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--verify", action="store_true",
                    help="with the claim verifier (INTERVIEWER_JUDGE_VERIFY=true; cross-encoder)")
    ap.add_argument("--clause-top-k", type=int, default=None,
                    help="with --verify: read each clause against its k closest sentences "
                         "(INTERVIEWER_JUDGE_VERIFY_TOP_K; default: the setting's default)")
    ap.add_argument("--interviews", metavar="SPLIT", default=None,
                    help="grade a hand-graded interview set (dev | test | holdout) instead of the "
                         "bank's sample answers and their gaming variants")
    ap.add_argument("--verifier-backend", choices=VERIFIER_BACKENDS, default=None,
                    help="with --verify: the cross-encoder's runtime (default: "
                         "INTERVIEWER_JUDGE_VERIFIER_BACKEND's, onnx)")
    ap.add_argument("--backend", choices=BACKENDS, default=None,
                    help="the encoder's runtime (default: INTERVIEWER_ENCODER_BACKEND's, onnx-int8)")
    args = ap.parse_args()
    bank = YamlQuestionBank.load([REPO_ROOT])
    settings = Settings()
    if args.backend is not None:
        settings = settings.model_copy(update={"encoder_backend": args.backend})
    encoder = SentenceTransformerEncoder.from_settings(settings)
    print(f"encoder: {encoder.name} ({encoder.backend})")
    top_k = args.clause_top_k if args.clause_top_k is not None else Settings().judge_verify_top_k
    verifier_backend = args.verifier_backend or settings.judge_verifier_backend
    judge = OfflineJudge(encoder, verify=args.verify, clause_top_k=top_k or None,
                         verifier_backend=verifier_backend, onnx_cache=settings.encoder_cache_dir)
    if args.verify:
        print(f"verifier: {verifier_backend}")
    cases: list[tuple[Question, Rubric, str]] = []
    if args.interviews:
        items = load_interviews(INTERVIEWS_DIR / f"{args.interviews}.yaml")
        rubrics = derive_all(items, encoder)
        cases = [(it.question, rubrics[it.question.id], it.text) for it in items]
    else:
        for q in bank.all():
            assert q.rubric is not None
            cases.append((q, q.rubric, q.sample_answer))
            cases += [(q, q.rubric, text) for text in attack_variants(q, q.rubric).values()]
    cases = cases[: args.answers]
    for q, r, _ in cases:  # warm: rubric embeddings are computed once in the server too
        judge.grade_sync(question=q, rubric=r, answer="warm up sentence.")
    keep = set(encoder._cache)
    # The texts the judge sends to the model for an answer: its units and its content words.
    units = []
    for q, _, text in cases:
        u = answer_units(text, q.text)
        units.append([s.text for s in u.spans])

    # With the verifier, the raw model cost also includes its own passes: record the (claim,
    # sentence) pairs the judge sends to the cross-encoder for each answer (after its cache), and
    # replay exactly those passes in the baseline.
    verifier = judge.verifier if isinstance(judge.verifier, CrossVerifier) else None
    pairs: list[tuple[list[str], list[str]]] = [([], []) for _ in cases]
    if verifier is not None:
        forward = verifier.forward
        verifier.clear_cache()
        for n, (q, r, text) in enumerate(cases):
            def record(claims: Any, spans: Any, n: int = n) -> Any:
                pairs[n][0].extend(claims)
                pairs[n][1].extend(spans)
                return forward(claims, spans)

            verifier.forward = record  # type: ignore[method-assign]
            judge.grade_sync(question=q, rubric=r, answer=text)
        verifier.forward = forward  # type: ignore[method-assign]

    def run_encoder() -> list[float]:
        reset_cache(encoder, keep)
        lat = []
        for texts, (claims, spans) in zip(units, pairs, strict=True):
            t = time.perf_counter()
            if texts:
                encoder.encode(texts)
            if verifier is not None and claims:
                verifier.forward(claims, spans)
            lat.append(time.perf_counter() - t)
        return lat

    def run_judge() -> list[float]:
        reset_cache(encoder, keep)
        if isinstance(judge.verifier, CrossVerifier):
            judge.verifier.clear_cache()  # no pair is served from an earlier repeat
        lat = []
        for q, r, text in cases:
            t = time.perf_counter()
            judge.grade_sync(question=q, rubric=r, answer=text)
            lat.append(time.perf_counter() - t)
        return lat

    enc_runs, judge_runs = [], []
    for _ in range(args.repeats):  # interleaved, so machine load hits both alike
        enc_runs.append(run_encoder())
        judge_runs.append(run_judge())
    enc_tp = [len(r) / sum(r) for r in enc_runs]
    judge_tp = [len(r) / sum(r) for r in judge_runs]
    ratio = statistics.median(judge_tp) / statistics.median(enc_tp)

    def ms(xs: list[float], p: float) -> float:
        s = sorted(xs)
        return 1000 * s[min(len(s) - 1, int(p * len(s)))]

    print(f"machine: {platform.machine()} python {platform.python_version()}; "
          f"{len(cases)} answers, {sum(map(len, units))} texts, {args.repeats} interleaved repeats")
    if verifier is not None:
        print(f"verifier pairs read: {sum(len(c) for c, _ in pairs)} (the baseline runs the same passes)")
    label = "raw model  " if verifier is not None else "raw encoder"
    print(f"{label} : {statistics.median(enc_tp):7.1f} answers/s  "
          f"p50 {ms(enc_runs[-1], .5):6.1f} ms  p99 {ms(enc_runs[-1], .99):6.1f} ms")
    print(f"offline judge: {statistics.median(judge_tp):7.1f} answers/s  "
          f"p50 {ms(judge_runs[-1], .5):6.1f} ms  p99 {ms(judge_runs[-1], .99):6.1f} ms")
    print(f"judge / {label.strip()} throughput: {ratio:.2f}x (target >= 0.85x)")


if __name__ == "__main__":
    main()
