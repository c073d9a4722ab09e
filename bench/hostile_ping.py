"""Websocket ping p99 while hostile code runs in the sandbox, as a ratio to idle p99 in the same run.

Usage: python bench/hostile_ping.py [--seconds 20] [--workers 2] [--pause 0] [--url http://...]
                                    [--compare CHECKOUT]

Without --url it starts `interviewer serve` on a free port with a fresh data directory (as
bench/ws_load.py does). Phases, in order: idle, a harmless run that returns at once (the control: what
any run costs), then each hostile submission (an infinite loop, a
fork bomb, a memory bomb) sent by `--workers` clients through `POST /v1/code/run` (the pool runs 2 at
once), each client sending its next run `--pause` seconds after the last one ended (0: back to back,
a flood; a fork bomb then ends in ~0.1 s, so every run is mostly the cost of starting a sandbox),
then idle again. With `--compare CHECKOUT` a second server runs that checkout's package (e.g. a git
worktree of main) and every phase runs on it right after this one's, each with its own ratios. In
every phase one socket sends the app's `ping` and times
its `pong`, and another pings a bare websocket echo server in its own process at the same time (how
much of a slowdown is the shared machine's, not the server's). Reports per phase: ping p50/p99, p99
as a ratio to the first idle phase (issue 19's target: <= 2x), the echo server's p99 ratio, the
hostile runs finished with their statuses, how many of the server's own event-loop lag samples
(every 0.25 s, from /metrics) were late by more than 25 ms, and the 1-minute load average at the
end of the phase.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from ws_load import echo_server, lag_buckets, pct, ping_rtt, start_server, wait_ready

import interviewer  # noqa: F401  (offline environment)
from interviewer.llm_local import free_port

PROBLEM = "code-attention"
HOSTILE = {
    "infinite loop": "def attention(q, k, v, causal=False):\n    while True:\n        pass\n",
    "fork bomb": "import os\n\ndef attention(q, k, v, causal=False):\n    while True:\n        os.fork()\n",
    "memory bomb": ("def attention(q, k, v, causal=False):\n    a = []\n    while True:\n"
                    "        a.append(' ' * 10**6)\n"),
}
# The control: a harmless run that returns at once, sent the same way (the cost of any run).
HARMLESS = "def attention(q, k, v, causal=False):\n    return q\n"
PING_GAP = 0.05  # seconds between pings: under the per-socket message rate
STALL = 0.025  # a histogram bucket bound of the server's event-loop lag (interviewer.metrics)


async def pings(url: str, seconds: float, kind: str) -> list[float]:
    """Round trips of `ping` (app: JSON ping/pong; echo: a bare echo) for `seconds`."""
    return await ping_rtt(url, 0, kind, gap=PING_GAP, seconds=seconds)


async def hostile(base: str, code: str, stop: asyncio.Event, statuses: Counter[str], pause: float) -> None:
    """Submit `code` again `pause` seconds after its run ends, until `stop`."""
    async with httpx.AsyncClient(base_url=base, timeout=120) as c:
        while not stop.is_set():
            r = await c.post("/v1/code/run", json={"problem_id": PROBLEM, "code": code})
            body: dict[str, Any] = r.json()
            statuses[body.get("status") or body.get("error", {}).get("code", str(r.status_code))] += 1
            if r.status_code == 503:  # busy: the pool and its queue are full
                await asyncio.sleep(0.2)
            if pause:
                await asyncio.wait([asyncio.ensure_future(stop.wait())], timeout=pause)


async def phase(base: str, ws_url: str, echo_url: str, seconds: float, code: str | None,
                workers: int, pause: float) -> dict[str, Any]:
    stop = asyncio.Event()
    statuses: Counter[str] = Counter()
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        before = lag_buckets((await http.get("/metrics")).text)
    tasks = [asyncio.create_task(hostile(base, code, stop, statuses, pause)) for _ in range(workers if code else 0)]
    if tasks:
        await asyncio.sleep(1.0)  # the runs are under way before the first ping
    app, echo = await asyncio.gather(pings(ws_url, seconds, "app"), pings(echo_url, seconds, "echo"))
    stop.set()
    await asyncio.gather(*tasks)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        after = lag_buckets((await http.get("/metrics")).text)
    samples = after[float("inf")] - before.get(float("inf"), 0.0)
    stalls = samples - (after[STALL] - before.get(STALL, 0.0))
    return {"app": app, "echo": echo, "statuses": dict(statuses), "load": os.getloadavg()[0],
            "stalls": f"{stalls:.0f} of {samples:.0f}"}


async def main(args: argparse.Namespace) -> None:
    echo_port = free_port()
    echo = echo_server(echo_port)
    procs = []
    bases = {"this checkout": args.url}
    try:
        if args.url is None:
            proc, bases["this checkout"] = start_server(
                prefix="hostile-ping-", extra_env={"INTERVIEWER_WS_RATE_PER_SECOND": "1000"})
            procs.append(proc)
        await ready(bases["this checkout"])
        if args.compare is not None:  # started once the first is ready: two loading at once are slow
            proc, bases[f"--compare {args.compare}"] = start_server(
                checkout=Path(args.compare), prefix="hostile-ping-",
                extra_env={"INTERVIEWER_WS_RATE_PER_SECOND": "1000"})
            procs.append(proc)
            await ready(bases[f"--compare {args.compare}"])
        echo_url = f"ws://127.0.0.1:{echo_port}"
        plan: list[tuple[str, str | None]] = [("idle", None), ("harmless run (control)", HARMLESS),
                                              *HOSTILE.items(), ("idle again", None)]
        results: dict[str, dict[str, Any]] = {server: {} for server in bases}
        for name, code in plan:  # with --compare, each phase on one server then on the other
            for server, base in bases.items():
                ws_url = base.replace("http", "ws", 1) + "/v1/interviews/ws"
                results[server][name] = await phase(base, ws_url, echo_url, args.seconds, code,
                                                    args.workers, args.pause)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        echo.terminate()
    print(f"{os.cpu_count()} CPUs; {args.seconds:g} s per phase; {args.workers} hostile clients, "
          f"{args.pause:g} s between a client's runs; "
          "the machine is shared, so the echo server's ratio shows its own share of any slowdown")
    for server, phases in results.items():
        report(server, phases)


async def ready(base: str) -> None:
    """Wait until the server at `base` is ready and can run code."""
    with httpx.Client(base_url=base, timeout=30) as http:
        await wait_ready(http, timeout=600)
        coding = http.get("/v1/meta").json()["coding"]
        if not coding["available"]:
            raise SystemExit(f"the server cannot run code: {coding['reason']}")


def report(server: str, results: dict[str, dict[str, Any]]) -> None:
    idle = results["idle"]
    idle_p99, echo_p99 = pct(idle["app"], 0.99), pct(idle["echo"], 0.99)
    print(f"\n{server}:\n")
    print("| phase | pings | p50 ms | p99 ms | p99 / idle p99 | echo p99 / idle echo p99 | hostile runs "
          f"| server loop lags > {STALL * 1000:.0f} ms | load avg (1 min) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        p99 = pct(r["app"], 0.99)
        runs = ", ".join(f"{k} {v}" for k, v in sorted(r["statuses"].items())) or "-"
        print(f"| {name} | {len(r['app'])} | {pct(r['app'], 0.5) * 1000:.1f} | {p99 * 1000:.1f} "
              f"| {p99 / idle_p99:.2f}x | {pct(r['echo'], 0.99) / echo_p99:.2f}x | {runs} | {r['stalls']} "
              f"| {r['load']:.2f} |")
    worst = max(pct(r["app"], 0.99) for n, r in results.items() if n in HOSTILE) / idle_p99
    print(f"worst hostile p99 / idle p99: {worst:.2f}x (target <= 2x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of pings per phase")
    parser.add_argument("--workers", type=int, default=2, help="clients sending hostile code at once")
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds a client waits between its hostile runs (0: back to back)")
    parser.add_argument("--url", default=None, help="a running server (default: start one)")
    parser.add_argument("--compare", default=None, metavar="CHECKOUT",
                        help="also start a server from another checkout (e.g. a git worktree of main) "
                             "and run every phase on it right after this one's: a baseline in the same run")
    asyncio.run(main(parser.parse_args()))
