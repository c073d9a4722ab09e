"""Concurrent websocket interviews against a real server, with same-run baselines.

Usage: python bench/ws_load.py [--sessions 200] [--questions 2] [--url ws://...]

Without --url it starts `interviewer serve` on a free port with a fresh data directory. Each session
answers with the bank's sample answers, every sentence tagged with the session number so that no
answer is served from the encoder's cache. Reports: messages/s, p50/p99 answer-to-grade latency,
errors (with the close reason), server RSS, the largest event-loop lag of the server and of this
client; grading throughput under concurrency as a ratio of the raw encoder's batched throughput on
the same kind of answers (target >= 0.7x); websocket ping round-trip p99 against a bare echo server
in its own process, measured idle and again during the load (target <= 2x).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

import interviewer  # noqa: F401  (offline environment)
from interviewer.llm_local import free_port


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(p * len(s)))] if s else float("nan")


async def ping_rtt(url: str, n: int, kind: str, gap: float = 0.005,
                   seconds: float | None = None) -> list[float]:
    """Round trips of `ping` (app: JSON ping/pong; echo: a bare echo): `n` of them, or as many
    as fit in `seconds` when it is given."""
    out: list[float] = []
    deadline = time.monotonic() + seconds if seconds is not None else None
    async with websockets.connect(url, max_size=2**20, open_timeout=60) as ws:
        while len(out) < n if deadline is None else time.monotonic() < deadline:
            t = time.perf_counter()
            await ws.send(json.dumps({"type": "ping"}) if kind == "app" else "ping")
            while True:
                msg = await ws.recv()
                if kind == "echo" or json.loads(msg).get("type") == "pong":
                    break
            out.append(time.perf_counter() - t)
            await asyncio.sleep(gap)  # stay under the per-socket rate limit
    return out


def lag_buckets(text: str) -> dict[float, float]:
    """The server's event-loop lag histogram (/metrics): cumulative count per upper bound."""
    out = {}
    for line in text.splitlines():
        if line.startswith('interviewer_event_loop_lag_seconds_bucket{le="'):
            le = line.split('"')[1]
            out[float("inf") if le == "+Inf" else float(le)] = float(line.split()[-1])
    return out


ECHO = """
import asyncio, sys, websockets
async def echo(ws):
    async for msg in ws:
        await ws.send(msg)
async def main():
    async with websockets.serve(echo, "127.0.0.1", int(sys.argv[1])):
        print("ready", flush=True)
        await asyncio.Future()
asyncio.run(main())
"""


def echo_server(port: int) -> subprocess.Popen[str]:
    """A bare websocket echo server in its own process, like the app server it is compared with."""
    proc = subprocess.Popen([sys.executable, "-c", ECHO, str(port)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def vary(text: str, session: int) -> str:
    """The answer with a session tag in every sentence, so no unit is served from the encoder cache."""
    return re.sub(r"([.!?])(\s+|$)", lambda m: f" (take {session}){m.group(1)}{m.group(2)}", text)


LAGS: list[float] = []


async def loop_lag(interval: float = 0.25) -> None:
    """How late this (load client) process's own loop runs a timer."""
    while True:
        t = time.perf_counter()
        await asyncio.sleep(interval)
        LAGS.append(max(0.0, time.perf_counter() - t - interval))


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return float("nan")


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.messages = 0
        self.errors: list[str] = []
        self.grades = 0


async def one_session(url: str, answers: dict[str, str], n_questions: int, stats: Stats,
                      session: int) -> None:
    try:
        async with websockets.connect(url, max_size=2**20, open_timeout=60) as ws:
            await ws.send(json.dumps({"type": "start", "num_questions": n_questions, "max_followups": 0}))
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 300))
                stats.messages += 1
                kind = msg["type"]
                if kind == "error":
                    stats.errors.append(msg["code"])
                    if msg["code"] != "busy":  # busy: the answer is stored and graded later
                        return
                elif kind == "question":
                    text = vary(answers[msg["question_id"]], session)
                    third = max(1, len(text) // 3)
                    for i in range(0, len(text), third):
                        await ws.send(json.dumps({"type": "answer.delta", "text": text[i:i + third]}))
                    sent = time.perf_counter()
                    await ws.send(json.dumps({"type": "answer.submit"}))
                elif kind == "grade":
                    stats.latencies.append(time.perf_counter() - sent)
                    stats.grades += 1
                elif kind == "summary":
                    return
    except Exception as exc:  # counted and reported, the run goes on
        stats.errors.append(f"{type(exc).__name__}: {exc}"[:120])


def raw_encoder_throughput(texts: list[tuple[str, str]]) -> float:
    """Answers per second when the raw encoder embeds, in big batches, exactly what the offline
    judge sends it for each answer: the answer's sentences and windows (rubric texts are cached).

    `texts` holds (question, answer) pairs.
    """
    from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder
    from interviewer.adapters.judge.offline.judge import answer_units

    enc = SentenceTransformerEncoder()
    inputs: list[str] = []
    for q, a in texts:
        units = answer_units(a, q)
        inputs += [u.text for u in units.spans]
    enc.encode_uncached(inputs[:64])
    t = time.perf_counter()
    enc.encode_uncached(inputs, batch_size=256)
    return len(texts) / (time.perf_counter() - t)


LIFTED_LIMITS = {
    "INTERVIEWER_WS_RATE_BURST": "1000", "INTERVIEWER_RATE_LIMIT": "100000/minute",
    "INTERVIEWER_RATE_LIMIT_IP": "100000/minute",
    # one client IP carries every session: lift the per-IP websocket message and socket limits
    "INTERVIEWER_WS_RATE_LIMIT": "1000000/minute", "INTERVIEWER_WS_MAX_PER_IP": "100000",
}


def start_server(checkout: Path | None = None, prefix: str = "ws-load-",
                 extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """`interviewer serve` on a free port with a fresh data directory and the per-IP limits lifted.

    `checkout`: run the package of another checkout (e.g. a git worktree of an older commit) with
    this interpreter; otherwise the one this script imports.
    """
    port = free_port()
    env = {**os.environ, "INTERVIEWER_DATA_DIR": tempfile.mkdtemp(prefix=prefix),
           "INTERVIEWER_LOG_LEVEL": "WARNING", **LIFTED_LIMITS, **(extra_env or {})}
    if checkout is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(checkout), *filter(None, [env.get("PYTHONPATH")])])
    proc = subprocess.Popen([sys.executable, "-c", "from interviewer.cli import app; app()",
                             "serve", "--port", str(port)], env=env,
                            cwd=str(checkout) if checkout is not None else None)
    return proc, f"http://127.0.0.1:{port}"


async def wait_ready(http: httpx.Client, timeout: float = 180) -> None:
    """Poll /readyz until the server has loaded its model."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if http.get("/readyz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"server {http.base_url} not ready")
        await asyncio.sleep(0.5)


def bank_questions(http: httpx.Client) -> list[dict[str, Any]]:
    """Every bank question with its sample answer and rubric, as the REST API serves them."""
    items = http.get("/v1/questions", params={"limit": 200}).json()["items"]
    return [http.get(f"/v1/questions/{q['id']}", params={"include": "rubric"}).json() for q in items]


async def main_async(args: argparse.Namespace) -> None:
    proc = None
    if args.url:
        base = args.url
    else:
        proc, base = start_server()
    http = httpx.Client(base_url=base, timeout=30)
    await wait_ready(http)
    ws_url = base.replace("http", "ws", 1) + "/v1/interviews/ws"
    full = bank_questions(http)
    questions = {q["id"]: q["text"] for q in full}
    answers = {q["id"]: q["sample_answer"] for q in full}
    echo_port = free_port()
    echo = echo_server(echo_port)
    echo_url = f"ws://127.0.0.1:{echo_port}"
    app_rtt = await ping_rtt(ws_url, args.pings, "app")
    echo_rtt = await ping_rtt(echo_url, args.pings, "echo")
    stats = Stats()
    t0 = time.perf_counter()
    client_lag = asyncio.create_task(loop_lag())
    # Round trips under load: both sockets pinged in turn while the interviews run.
    loaded = asyncio.gather(ping_rtt(ws_url, args.pings, "app", gap=0.1),
                            ping_rtt(echo_url, args.pings, "echo", gap=0.1))
    await asyncio.gather(*(one_session(ws_url, answers, args.questions, stats, i)
                           for i in range(args.sessions)))
    app_loaded, echo_loaded = await loaded
    elapsed = time.perf_counter() - t0
    client_lag.cancel()
    echo.terminate()
    rss = rss_mb(proc.pid) if proc else float("nan")
    server_lag = metric(http.get("/metrics").text, "interviewer_event_loop_lag_max_seconds")
    if proc:
        proc.terminate()
        proc.wait(timeout=30)
    grade_tp = stats.grades / elapsed
    raw_tp = raw_encoder_throughput([(questions[i], vary(a, n)) for n, (i, a) in enumerate(answers.items())])
    print(f"machine: {platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}")
    print(f"sessions {args.sessions} x {args.questions} questions in {elapsed:.1f} s; "
          f"messages {stats.messages} ({stats.messages / elapsed:.0f}/s); grades {stats.grades}; "
          f"errors {len(stats.errors)} {sorted(set(stats.errors))}")
    print(f"answer->grade latency p50 {pct(stats.latencies, .5) * 1000:.0f} ms, "
          f"p99 {pct(stats.latencies, .99) * 1000:.0f} ms; server RSS {rss:.0f} MB")
    print(f"event-loop lag max: server {server_lag * 1000:.0f} ms, load client {max(LAGS, default=0) * 1000:.0f} ms")
    print(f"grading throughput {grade_tp:.1f} answers/s vs raw batched encoder {raw_tp:.1f} answers/s: "
          f"{grade_tp / raw_tp:.2f}x (target >= 0.7x)")
    for label, app, bare in (("idle", app_rtt, echo_rtt), ("under load", app_loaded, echo_loaded)):
        print(f"ping rtt p99 {label}: app {pct(app, .99) * 1000:.2f} ms vs bare echo process "
              f"{pct(bare, .99) * 1000:.2f} ms: {pct(app, .99) / pct(bare, .99):.2f}x (target <= 2x)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=200)
    ap.add_argument("--questions", type=int, default=2)
    ap.add_argument("--pings", type=int, default=300)
    ap.add_argument("--url", default=None, help="http://host:port of a running server")
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()
