"""The program that runs INSIDE the sandbox (stdlib + numpy only; never imported with candidate code
in the server process: the server imports it only for `encode`/`decode`).

Protocol on its stdin/stdout: it prints READY when numpy is imported and privileges are dropped,
reads one length-prefixed JSON request {code, entry, cases, limits}, sets its resource limits, runs
the code, then prints MARKER followed by one JSON line {status, cases, detail}.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import sys
from typing import Any, NoReturn

READY = b"READY\n"
MARKER = "\x1e\x1eRESULT "
DTYPES = {"float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"}
MAX_ARRAY_BYTES = 32 * 1024 * 1024


def encode(value: Any) -> Any:
    """Plain JSON for scalars, lists and str-keyed dicts; numpy arrays as dtype/shape/base64."""
    import numpy as np

    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, np.generic):
        return encode(value.item())
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        if arr.dtype.name not in DTYPES:
            arr = arr.astype(np.float64) if arr.dtype.kind in "fc" else arr.astype(np.int64)
        return {"__nd__": arr.dtype.name, "shape": list(arr.shape),
                "data": base64.b64encode(arr.tobytes()).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return {"__seq__": "tuple" if isinstance(value, tuple) else "list",
                "items": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"__map__": [[encode(k), encode(v)] for k, v in value.items()]}
    return {"__repr__": repr(value)[:200]}


def decode(value: Any, depth: int = 0) -> Any:
    """Inverse of `encode`, safe on untrusted input: whitelisted dtypes, checked sizes, no pickle."""
    import numpy as np

    if depth > 50:
        raise ValueError("value nested too deeply")
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, dict):
        if "__nd__" in value:
            dtype = str(value["__nd__"])
            if dtype not in DTYPES:
                raise ValueError(f"dtype {dtype!r} not allowed")
            shape = tuple(int(n) for n in value["shape"])
            if any(n < 0 for n in shape):
                raise ValueError("negative dimension")
            raw = base64.b64decode(str(value["data"]), validate=True)
            if len(raw) > MAX_ARRAY_BYTES:
                raise ValueError("array too large")
            arr = np.frombuffer(raw, dtype=np.dtype(dtype))
            return arr.reshape(shape).copy()
        if "__seq__" in value:
            items = [decode(v, depth + 1) for v in value["items"]]
            return tuple(items) if value["__seq__"] == "tuple" else items
        if "__map__" in value:
            out = {}
            for k, v in value["__map__"]:
                out[decode(k, depth + 1)] = decode(v, depth + 1)
            return out
        if "__repr__" in value:
            return _Opaque(str(value["__repr__"]))
    if isinstance(value, list):
        return [decode(v, depth + 1) for v in value]
    raise ValueError("undecodable value")


class _Opaque:
    """A returned object of a type that cannot cross the boundary; compares unequal to everything."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _read_request() -> dict[str, Any]:
    header = sys.stdin.buffer.readline()
    size = int(header)
    data = sys.stdin.buffer.read(size)
    request: dict[str, Any] = json.loads(data)
    return request


def _limit(kind: int, value: int) -> None:
    resource.setrlimit(kind, (value, value))


def _emit(out: int, payload: dict[str, Any]) -> NoReturn:
    if os.getpid() != _MAIN_PID:  # a process the code forked never reports
        os._exit(0)
    data = (MARKER + json.dumps(payload) + "\n").encode()
    view = memoryview(data)
    while view:
        n = os.write(out, view)
        view = view[n:]
    os._exit(0)


_MAIN_PID = 0


def main() -> None:
    global _MAIN_PID
    _MAIN_PID = os.getpid()
    sys.path.insert(0, "/pkgs")
    import numpy  # noqa: F401  (warm: imported before the code arrives)

    if os.getuid() == 0 and len(sys.argv) > 1:  # started as root: run as an unprivileged uid
        uid = int(sys.argv[1])
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    os.write(1, READY)
    request = _read_request()
    limits = request["limits"]
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime + float(limits["cpu_seconds"])) + 1
    _limit(resource.RLIMIT_CPU, cpu)
    _limit(resource.RLIMIT_AS, int(limits["memory_bytes"]))
    _limit(resource.RLIMIT_NPROC, int(limits["nproc"]))
    _limit(resource.RLIMIT_FSIZE, 16 * 1024 * 1024)
    _limit(resource.RLIMIT_CORE, 0)
    out = os.dup(1)
    devnull = os.open("/dev/null", os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(1, 2)
    cases = [decode(c) for c in request["cases"]]
    results: list[dict[str, Any]] = []
    try:
        namespace: dict[str, Any] = {"__name__": "solution"}
        try:
            exec(compile(request["code"], "solution.py", "exec"), namespace)
        except MemoryError:
            raise
        except BaseException as exc:
            _flush()
            _emit(out, {"status": "error", "cases": [], "detail": _describe(exc)})
        fn = namespace.get(request["entry"])
        if not callable(fn):
            _flush()
            _emit(out, {"status": "error", "cases": [],
                        "detail": f"no function named {request['entry']!r}"})
        for case in cases:
            try:
                value = fn(*case["args"], **case["kwargs"])
                results.append({"ok": True, "value": encode(value)})
            except MemoryError:
                raise
            except RecursionError as exc:
                results.append({"ok": False, "error": _describe(exc)})
            except Exception as exc:
                results.append({"ok": False, "error": _describe(exc)})
    except MemoryError:
        results = results[:]
        _flush()
        _emit(out, {"status": "memory", "cases": results, "detail": "memory limit reached"})
    _flush()
    _emit(out, {"status": "done", "cases": results, "detail": ""})


def _flush() -> None:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text[:300]


if __name__ == "__main__":
    main()
