"""Sandbox overhead per run: the warm bubblewrap pool vs a bare `python -c` of the same code.

Both sides run the same small numpy function on one case; the baseline is a fresh interpreter that
imports numpy and calls it (what running the code at all costs), measured in the same run.
Usage: python bench/code_bench.py [--runs 40] [--concurrency 2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time

import numpy as np

from interviewer.adapters.sandbox.bwrap import BwrapRunner
from interviewer.core.code import CodeCase, CodeLimits

CODE = "import numpy as np\ndef f(x):\n    return (x @ x.T).sum()\n"
BARE = CODE + "import numpy as np\nprint(f(np.ones((8, 8))))\n"


def bare_run() -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", BARE], check=True, capture_output=True)
    return time.perf_counter() - t


async def main(runs: int, concurrency: int) -> None:
    bare = [bare_run() for _ in range(runs)]
    pool = BwrapRunner(pool_size=concurrency, queue_limit=runs)
    await pool.start()
    await asyncio.sleep(1.0)  # let the pool warm up
    case = (CodeCase("g", (np.ones((8, 8)),)),)

    async def one() -> float:
        t = time.perf_counter()
        result = await pool.run(code=CODE, entry="f", cases=case, limits=CodeLimits())
        assert result.status.value == "passed", result
        return time.perf_counter() - t

    sequential = []
    for _ in range(runs):
        sequential.append(await one())
        await asyncio.sleep(0.3)  # the next warm process is ready (latency of a warm run)
    cold_start = time.perf_counter()
    burst = await asyncio.gather(*(one() for _ in range(runs)))
    burst_seconds = time.perf_counter() - cold_start
    await pool.close()
    bare_med, warm_med = statistics.median(bare), statistics.median(sequential)
    print(f"bare python -c (numpy import + call): median {bare_med * 1000:.1f} ms")
    print(f"warm sandbox run:                      median {warm_med * 1000:.1f} ms"
          f"  (ratio warm/bare {warm_med / bare_med:.2f})")
    print(f"burst of {runs} runs, pool {concurrency}: {runs / burst_seconds:.1f} runs/s"
          f" (median latency {statistics.median(burst) * 1000:.0f} ms)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--concurrency", type=int, default=2)
    args = ap.parse_args()
    asyncio.run(main(args.runs, args.concurrency))
