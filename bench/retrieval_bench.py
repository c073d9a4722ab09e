"""Follow-up selection latency: FAISS flat index vs exact numpy search, in the same run.

Usage: python bench/retrieval_bench.py [--queries 300] [--synthetic 10000]
Prints p50/p99 latency of (a) follow-up selection on the real bank, (b) top-5 search over the real
bank's cards and over N synthetic cards, for FAISS and for exact numpy search, and recall@5 of FAISS
against numpy (1.0 expected for a flat index).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

import interviewer  # noqa: F401  (offline environment)
from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder
from interviewer.adapters.retrieval.faiss_index import ConceptIndex, FaissRetriever, load_or_build
from interviewer.evaluation.followups import answer_without
from interviewer.settings import REPO_ROOT


def pct(xs: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(xs) * 1000, p))


def timed(fn, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
    return out


def search_compare(vecs: np.ndarray, queries: np.ndarray, label: str) -> None:
    index = ConceptIndex([None] * len(vecs), vecs)  # type: ignore[list-item]
    k = 5

    def faiss_search(i: int) -> np.ndarray:
        return index.index.search(queries[i:i + 1], k)[1][0]

    def numpy_search(i: int) -> np.ndarray:
        scores = vecs @ queries[i]
        top = np.argpartition(-scores, k)[:k]
        return top[np.argsort(-scores[top])]

    n = len(queries)
    tf, tn = timed(faiss_search, n), timed(numpy_search, n)
    recall = np.mean([len(set(faiss_search(i)) & set(numpy_search(i))) / k for i in range(n)])
    print(f"{label:<28} faiss p50 {pct(tf, 50):7.3f} ms  p99 {pct(tf, 99):7.3f} ms | "
          f"numpy p50 {pct(tn, 50):7.3f} ms  p99 {pct(tn, 99):7.3f} ms | "
          f"p50 ratio faiss/numpy {pct(tf, 50) / pct(tn, 50):5.2f} | recall@5 {recall:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--synthetic", type=int, default=10_000)
    args = ap.parse_args()
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    bank = YamlQuestionBank.load([REPO_ROOT])
    encoder = SentenceTransformerEncoder()
    with tempfile.TemporaryDirectory() as d:
        index, _ = load_or_build(bank, encoder, Path(d), progress=False)
    retriever = FaissRetriever(bank, encoder, index)
    cases = [(q, c) for q in bank.all() if q.rubric for c in q.rubric.criteria]
    answers = [answer_without(q.rubric, c.id) for q, c in cases]  # type: ignore[arg-type]
    encoder.encode(answers)  # warm the encoder cache: we measure selection, not first-time encoding

    def select(i: int) -> None:
        q, c = cases[i % len(cases)]
        retriever.select_probe(q, c.id, answers[i % len(cases)], frozenset())

    t = timed(select, args.queries)
    print(f"follow-up selection (bank, {len(index.cards)} cards, encoder cached): "
          f"p50 {pct(t, 50):.3f} ms  p99 {pct(t, 99):.3f} ms")
    vecs = np.stack([index.index.reconstruct(i) for i in range(index.index.ntotal)])
    rng = np.random.default_rng(0)
    queries = encoder.encode([q.text for q in bank.all()])
    queries = queries[rng.integers(0, len(queries), args.queries)]
    search_compare(vecs, queries, f"top-5, bank ({len(vecs)} cards)")
    base = vecs[rng.integers(0, len(vecs), args.synthetic)]
    synth = base + rng.normal(0, 0.05, base.shape).astype(np.float32)
    synth /= np.linalg.norm(synth, axis=1, keepdims=True)
    search_compare(synth.astype(np.float32), queries, f"top-5, synthetic ({args.synthetic} cards)")


if __name__ == "__main__":
    main()
