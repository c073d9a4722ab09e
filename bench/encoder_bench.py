"""The encoder on torch against ONNX Runtime (float32 and dynamic int8), and the offline judge's
sentence windows, measured on the judge's real texts in one run.

Usage: python bench/encoder_bench.py [--answers 300] [--repeats 2] [--windows 2,3 2 none]

Speed: the bank's sample answers, their robustness variants and ASAG student answers, graded one by
one with `OfflineJudge.grade_sync` (rubric embeddings warm, answer texts not cached), and the raw
encoder on exactly the texts the judge encodes for each answer; every configuration in every round,
interleaved, so that the load of other processes hits all alike. Ratios are against torch with the
default windows, measured in the same round; the table gives the median over rounds.
Quality, per configuration: ASAG dev Pearson r (`interviewer eval asag` on datasets/asag) and the
robustness suite (`interviewer eval robustness`), with the packaged calibration (fit on torch).
Agreement: cosine of each backend's sentence and token vectors with torch's on all the unit texts.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import interviewer  # noqa: F401  (offline environment, one OpenBLAS thread)
from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.encoder.onnx_runtime import BACKENDS
from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder
from interviewer.adapters.judge.offline import units as offline_units
from interviewer.adapters.judge.offline.judge import OfflineJudge, answer_units
from interviewer.evaluation.asag import as_question, derive_rubrics, load_asag, report
from interviewer.evaluation.robustness import attack_variants, run_robustness
from interviewer.settings import REPO_ROOT

ASAG = REPO_ROOT / "datasets" / "asag" / "mohler_dev.csv"


@contextmanager
def windows(sizes: tuple[int, ...]) -> Iterator[None]:
    """The judge's sliding-window sizes for the duration (offline_units reads them per answer)."""
    saved = offline_units.WINDOW_SIZES
    offline_units.WINDOW_SIZES = sizes
    try:
        yield
    finally:
        offline_units.WINDOW_SIZES = saved


def parse_windows(text: str) -> tuple[int, ...]:
    return () if text == "none" else tuple(int(x) for x in text.split(","))


def label(sizes: tuple[int, ...]) -> str:
    return ",".join(map(str, sizes)) if sizes else "none"


@dataclass
class Config:
    backend: str
    sizes: tuple[int, ...]
    judge_tp: list[float] = field(default_factory=list)
    enc_tp: list[float] = field(default_factory=list)
    quality: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.backend}, windows {label(self.sizes)}"


def timed(fn: Callable[[], object], n: int) -> float:
    t = time.perf_counter()
    fn()
    return n / (time.perf_counter() - t)


def speed_round(cfg: Config, enc: SentenceTransformerEncoder, judge: OfflineJudge,
                cases: list[tuple[Any, Any, str]], keep: set[str]) -> None:
    """One timed pass of the judge and one of the raw encoder on this configuration's texts."""
    with windows(cfg.sizes):
        units = [[s.text for s in answer_units(text, q.text).spans] for q, _, text in cases]
        forget(enc, keep)
        cfg.judge_tp.append(timed(lambda: [judge.grade_sync(question=q, rubric=r, answer=t)
                                           for q, r, t in cases], len(cases)))
        forget(enc, keep)
        cfg.enc_tp.append(timed(lambda: [enc.encode_uncached(u) for u in units if u], len(cases)))


def forget(enc: SentenceTransformerEncoder, keep: set[str]) -> None:
    """Drop every cached text but the rubrics' (as a server that has seen the questions before)."""
    for cache in (enc._cache, enc._tokens):
        for key in [k for k in cache if k not in keep]:
            del cache[key]


def quality(cfg: Config, judge: OfflineJudge, questions: list[Any], asag_limit: int | None,
            robustness_limit: int | None) -> None:
    with windows(cfg.sizes):
        items = load_asag(ASAG, asag_limit)
        rubrics = derive_rubrics(items, judge.encoder)
        pred = [judge.grade_sync(question=as_question(it), rubric=rubrics[it.question_id],
                                 answer=it.answer).score / 20.0 for it in items]
        rep = report(items, pred)
        rates = run_robustness(questions[:robustness_limit], judge)
    failed = {k: v for k, v in rates.items() if v < 1.0}
    cfg.quality = {"pearson": rep.overall.pearson, "spearman": rep.overall.spearman,
                   "per_q": rep.per_question.pearson, "n": rep.overall.n,
                   "robust": min(rates.values()), "failed": failed}


def agreement(encs: dict[str, SentenceTransformerEncoder], texts: list[str]) -> dict[str, str]:
    """Cosine with torch's vectors: sentence vectors (min, 1st percentile, mean) and token vectors."""
    ref = encs["torch"].encode_uncached(texts, token_min_words=0)
    ref_tok = encs["torch"].encode_tokens(texts)
    out = {}
    for name, enc in encs.items():
        if name == "torch":
            continue
        cos = (enc.encode_uncached(texts, token_min_words=0) * ref).sum(axis=1)
        toks = [float((np.asarray(a.vectors, np.float32) * np.asarray(b.vectors, np.float32)).sum(1).min())
                for a, b in zip(enc.encode_tokens(texts), ref_tok, strict=True) if len(a.tokens)]
        out[name] = (f"sentence cos min {cos.min():.4f}, p1 {np.percentile(cos, 1):.4f}, "
                     f"mean {cos.mean():.4f}; token cos (worst token per text) min {min(toks):.4f}, "
                     f"mean {statistics.mean(toks):.4f}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    ap.add_argument("--windows", nargs="+", default=["2,3", "2", "none"],
                    help="window sizes per configuration, e.g. 2,3 (default) 2 none")
    ap.add_argument("--window-backends", nargs="+", default=["torch", "onnx-int8"],
                    help="backends also measured with the windows other than the first")
    ap.add_argument("--answers", type=int, default=300, help="answers per timed pass")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--asag-limit", type=int, default=None, help="only the first N ASAG answers")
    ap.add_argument("--robustness-limit", type=int, default=None, help="only the first N questions")
    ap.add_argument("--no-quality", action="store_true", help="speed and agreement only")
    args = ap.parse_args()

    bank = YamlQuestionBank.load([REPO_ROOT])
    questions = list(bank.all())
    sizes = [parse_windows(w) for w in args.windows]
    configs = [Config(b, sizes[0]) for b in args.backends]
    configs += [Config(b, s) for s in sizes[1:] for b in args.backends if b in args.window_backends]
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        encs = {b: SentenceTransformerEncoder(backend=b, onnx_cache=Path(tmp)) for b in args.backends}
        print(f"loaded {', '.join(encs)} (ONNX export and quantisation included) in "
              f"{time.perf_counter() - t:.1f} s", flush=True)
    judges = {b: OfflineJudge(e) for b, e in encs.items()}

    # The judge's real texts: every bank answer and its attacks, and the ASAG student answers.
    cases: list[tuple[Any, Any, str]] = []
    for q in questions:
        assert q.rubric is not None
        cases += [(q, q.rubric, q.sample_answer)]
        cases += [(q, q.rubric, v) for v in list(attack_variants(q, q.rubric).values())[:2]]
    items = load_asag(ASAG)
    asag_rubrics = derive_rubrics(items[::7], encs["torch"])
    cases += [(as_question(it), asag_rubrics[it.question_id], it.answer)
              for it in items[::7] if it.question_id in asag_rubrics]
    rng = np.random.default_rng(0)
    cases = [cases[i] for i in sorted(rng.choice(len(cases), min(args.answers, len(cases)), replace=False))]
    keep: set[str] = set()
    for b, judge in judges.items():  # rubric texts warm, as in a server that has seen the questions
        for q, r, _ in cases:
            judge.grade_sync(question=q, rubric=r, answer="warm up sentence.")
        keep |= set(encs[b]._cache) | set(encs[b]._tokens)
    unit_texts = list(dict.fromkeys(s.text for q, _, t in cases for s in answer_units(t, q.text).spans))
    print(f"{len(cases)} answers, {len(unit_texts)} distinct unit texts; "
          f"machine {platform.machine()}, python {platform.python_version()}", flush=True)

    for r in range(args.repeats):
        for cfg in configs:
            speed_round(cfg, encs[cfg.backend], judges[cfg.backend], cases, keep)
            print(f"round {r + 1} {cfg.name:<28} judge {cfg.judge_tp[-1]:6.1f} answers/s  "
                  f"raw encoder {cfg.enc_tp[-1]:6.1f} answers/s", flush=True)
    for name, text in agreement(encs, unit_texts).items():
        print(f"agreement {name}: {text}", flush=True)
    if not args.no_quality:
        for cfg in configs:
            t = time.perf_counter()
            quality(cfg, judges[cfg.backend], questions, args.asag_limit, args.robustness_limit)
            print(f"quality {cfg.name}: {cfg.quality} ({time.perf_counter() - t:.0f} s)", flush=True)
    print_table(configs, args.repeats)


def print_table(configs: list[Config], repeats: int) -> None:
    base = configs[0]
    print(f"\n| configuration | judge answers/s | vs {base.name} (per round) | raw encoder answers/s "
          "| ASAG dev Pearson r | robustness |")
    print("|---|---|---|---|---|---|")
    for cfg in configs:
        ratios = [j / b for j, b in zip(cfg.judge_tp, base.judge_tp, strict=True)]
        q = cfg.quality
        asag = f"{q['pearson']:.3f} ({q['pearson'] - base.quality['pearson']:+.3f})" if q else "-"
        rob = ("100 %" if q and not q["failed"] else
               ", ".join(f"{k} {v * 100:.1f} %" for k, v in q["failed"].items()) if q else "-")
        print(f"| {cfg.name} | {statistics.median(cfg.judge_tp):.1f} | "
              f"{statistics.median(ratios):.2f}x ({', '.join(f'{x:.2f}' for x in ratios)}) | "
              f"{statistics.median(cfg.enc_tp):.1f} | {asag} | {rob} |")
    print(f"\n{repeats} interleaved rounds; ratios are per round against {base.name} in the same round.")


if __name__ == "__main__":
    main()
