"""The process environment `import interviewer` sets up: offline models, one BLAS thread.

Each case runs in a fresh interpreter, since both settings act when a library is first loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json, os
{first}
from threadpoolctl import threadpool_info
print(json.dumps({{
    "blas": sorted({{i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}}),
    "hf_offline": os.environ.get("HF_HUB_OFFLINE"),
}}))
"""


def _probe(first: str, **extra_env: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"OPENBLAS_NUM_THREADS", "HF_HUB_OFFLINE"}}
    env.update(extra_env)
    out = subprocess.run([sys.executable, "-c", PROBE.format(first=first)], env=env,
                         capture_output=True, text=True, check=True, timeout=120)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("first", [
    "import interviewer\nimport numpy, scipy.linalg",  # the usual order: our package first
    "import numpy\nimport interviewer\nimport scipy.linalg",  # numpy's OpenBLAS already loaded
])
def test_one_blas_thread_after_import(first: str) -> None:
    got = _probe(first)
    assert got["blas"] == [1]
    assert got["hf_offline"] == "1"


def test_an_explicit_blas_thread_count_is_kept() -> None:
    got = _probe("import interviewer\nimport numpy", OPENBLAS_NUM_THREADS="2")
    assert got["blas"] == [2]
