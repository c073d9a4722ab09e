"""Grade a fixed sample of the ASAG dev file with the local LLM through LiteLLMJudge.

Usage:
    python scripts/eval_llm_asag.py [CSV] [--n 100] [--seed 0] [--api-base URL] [--out FILE]

Without --api-base it starts the local llama.cpp server (scripts/llm_wheel.sh must have been
run) on a free port. Each answer is graded against the rubric derived offline from its
question's reference answer (interviewer.core.rubric_derive.derive_rubric, packaged encoder),
through the full LLM judge path: schema-bound JSON, quote verification, score computed in code.
Prints Pearson r / Spearman rho / RMSE against the human 0-5 scores (overall and averaged per
question), the offline judge's numbers on the same sample, and the mean latency and tokens per
graded answer. Answers the LLM judge could not grade (JudgeError) are counted and left out of
the LLM metrics; the offline comparison is given on the same subset.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import signal
import statistics
import sys
import time
from pathlib import Path

from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder
from interviewer.adapters.judge.llm_judge import LiteLLMJudge
from interviewer.adapters.judge.offline.judge import OfflineJudge
from interviewer.core.judging import JudgeError
from interviewer.evaluation.asag import (
    MAX_POINTS,
    Metrics,
    as_question,
    derive_rubrics,
    load_asag,
    report,
)
from interviewer.llm_local import DEFAULT_ALIAS, LocalLLMServer, free_port, resolve_model

DEFAULT_CSV = Path(__file__).resolve().parents[1] / "datasets" / "asag" / "mohler_dev.csv"


def fmt(m: Metrics) -> str:
    return f"r={m.pearson:.3f} rho={m.spearman:.3f} rmse={m.rmse:.3f} n={m.n}"


async def run(args: argparse.Namespace, api_base: str) -> dict[str, object]:
    items = load_asag(args.csv)
    sample = random.Random(args.seed).sample(items, min(args.n, len(items)))
    encoder = SentenceTransformerEncoder()
    rubrics = derive_rubrics(sample, encoder)
    offline = OfflineJudge(encoder)
    judge = LiteLLMJudge(
        args.model, api_base=api_base, api_key="none", timeout=args.timeout,
        max_retries=args.max_retries, max_concurrency=1, stream=not args.no_stream,
    )
    ok_items, llm_pred, off_pred = [], [], []
    latencies, tokens, failures = [], [], collections.Counter[str]()
    verdicts: collections.Counter[str] = collections.Counter()
    dropped = 0
    started = time.perf_counter()
    for i, it in enumerate(sample, 1):
        question, rubric = as_question(it), rubrics[it.question_id]
        t0 = time.perf_counter()
        try:
            grade = await judge.grade(question=question, rubric=rubric, answer=it.answer)
        except JudgeError as exc:
            failures[str(exc.kind)] += 1
            print(f"[{i}/{len(sample)}] {it.question_id} FAILED {exc.kind}: {exc.reason[:120]}",
                  file=sys.stderr, flush=True)
            continue
        latency = time.perf_counter() - t0
        off = offline.grade_sync(question=question, rubric=rubric, answer=it.answer)
        ok_items.append(it)
        llm_pred.append(grade.score / 100.0 * MAX_POINTS)
        off_pred.append(off.score / 100.0 * MAX_POINTS)
        latencies.append(latency)
        tokens.append(grade.provenance.tokens if grade.provenance else 0)
        verdicts.update(str(c.verdict) for c in grade.criteria)
        dropped += "quotes_dropped" in grade.flags
        print(f"[{i}/{len(sample)}] {it.question_id} human={it.human:.2f} "
              f"llm={llm_pred[-1]:.2f} offline={off_pred[-1]:.2f} {latency:.1f}s "
              f"{tokens[-1]} tok", file=sys.stderr, flush=True)
        if len(ok_items) % 10 == 0 and len(ok_items) >= 10:  # running numbers, if cut short
            print(f"  so far: llm {fmt(report(ok_items, llm_pred).overall)}; offline "
                  f"{fmt(report(ok_items, off_pred).overall)}; mean latency "
                  f"{statistics.fmean(latencies):.1f}s, tokens {statistics.fmean(tokens):.0f}",
                  file=sys.stderr, flush=True)
    wall = time.perf_counter() - started
    out: dict[str, object] = {
        "model": args.model, "n_sampled": len(sample), "n_graded": len(ok_items),
        "seed": args.seed, "failures": dict(failures), "wall_s": round(wall, 1),
        "verdicts": dict(verdicts), "answers_with_dropped_quotes": dropped,
    }
    if ok_items:
        llm, off = report(ok_items, llm_pred), report(ok_items, off_pred)
        out.update({
            "llm": {"overall": _m(llm.overall), "per_question": _m(llm.per_question)},
            "offline_same_subset": {"overall": _m(off.overall), "per_question": _m(off.per_question)},
            "latency_s": {"mean": statistics.fmean(latencies), "median": statistics.median(latencies),
                          "max": max(latencies)},
            "tokens": {"mean": statistics.fmean(tokens), "median": statistics.median(tokens)},
            "llm_score_spread": {"min": min(llm_pred), "max": max(llm_pred),
                                 "distinct": len(set(llm_pred))},
        })
        print(f"LLM     ({args.model}) overall:      {fmt(llm.overall)}")
        print(f"LLM     ({args.model}) per question: {fmt(llm.per_question)}")
        print(f"offline (same answers)   overall:      {fmt(off.overall)}")
        print(f"offline (same answers)   per question: {fmt(off.per_question)}")
        print(f"latency per graded answer: mean {statistics.fmean(latencies):.1f}s, "
              f"median {statistics.median(latencies):.1f}s, max {max(latencies):.1f}s")
        print(f"tokens per graded answer: mean {statistics.fmean(tokens):.0f}")
    print(f"graded {len(ok_items)}/{len(sample)}; failures {dict(failures)}; "
          f"verdicts {dict(verdicts)}; answers with dropped quotes {dropped}; wall {wall:.0f}s")
    return out


def _m(m: Metrics) -> dict[str, float]:
    return {k: round(float(getattr(m, k)), 4) for k in ("pearson", "spearman", "rmse", "n")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default=f"openai/{DEFAULT_ALIAS}")
    parser.add_argument("--api-base", default=None, help="an already running server's /v1 URL")
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--max-retries", type=int, default=1)
    parser.add_argument("--no-stream", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args()

    # A SIGTERM (e.g. from `timeout`) must still stop the server below: it runs in its own session.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = None
    api_base = args.api_base
    if api_base is None:
        server = LocalLLMServer(resolve_model(), port=free_port(), log_path=Path("data/llm-eval-server.log"))
        server.start()
        api_base = server.api_base
    try:
        result = asyncio.run(run(args, api_base))
    finally:
        if server is not None:
            server.stop()
    if args.out is not None:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
