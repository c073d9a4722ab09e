"""Open-loop load model: candidates arrive over time and type their answers at human speed.

Usage: python bench/load_model.py [--rates 0.5,1,2,4] [--level-seconds 45] [--url http://...]
                                  [--baseline-checkout PATH] [--json results.json]

Candidates arrive by a Poisson process (open loop: an arrival never waits for the server). Each
runs an interview over websocket protocol v1: it reads and thinks before every answer, types the
answer as `answer.delta` frames in bursts of a few words at a human typing speed, submits it and
waits for the grade. Answers are made by bench/load_answers.py: varied, of realistic length, no
sentence used twice in the run. Human time is divided by `--compression`, so that a level of
offered load takes under a minute; the report converts back to human time by Little's law.

Offered load is stepped in answers per second (candidates arrive at rate / questions per
interview). Per level: answer-to-grade p50/p99 (from `answer.submit` to the first `grade` of that
turn), errors with their reasons, websocket ping p99 of the app against a bare echo server in its
own process pinged at the same time, the server's event-loop lag (from /metrics) and RSS. The
capacity is the highest level with answer-to-grade p99 <= 2 s and no error; stepping stops at the
first level that fails. Without --url it starts `interviewer serve` on a free port with a fresh
data directory; --baseline-checkout starts a second server from another checkout (e.g. a git
worktree of an older commit) and runs every level on both, interleaved, for a same-run ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets
from load_answers import AnswerMaker, Material, load_claims, material, word_count
from ws_load import (
    LAGS,
    bank_questions,
    echo_server,
    free_port,
    lag_buckets,
    loop_lag,
    metric,
    pct,
    ping_rtt,
    rss_mb,
    start_server,
    wait_ready,
)

P99_LIMIT_S = 2.0


@dataclass(frozen=True)
class Human:
    """How a candidate spends human time; every delay is divided by `compression`."""

    wpm: float = 40.0
    think_s: float = 20.0
    compression: float = 30.0
    burst_words: tuple[int, int] = (4, 12)

    def think(self, rng: random.Random) -> float:
        return rng.expovariate(1 / self.think_s) / self.compression

    def typing(self, words: int) -> float:
        return words / self.wpm * 60 / self.compression


@dataclass
class Target:
    """A server under test."""

    name: str
    base: str
    proc: subprocess.Popen[bytes] | None
    failed: bool = False

    @property
    def ws_url(self) -> str:
        return self.base.replace("http", "ws", 1) + "/v1/interviews/ws"


@dataclass
class Level:
    """What one offered load did to one server."""

    target: str
    offered_answers_per_s: float
    seconds: float
    candidates: int = 0
    answers: int = 0
    grades: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    open_samples: list[int] = field(default_factory=list)
    answer_words: list[int] = field(default_factory=list)
    deltas: int = 0
    summary: dict[str, Any] = field(default_factory=dict)


def bursts(text: str, rng: random.Random, sizes: tuple[int, int]) -> list[str]:
    """The answer cut into the bursts of words a typist sends as deltas (spaces kept)."""
    words, out, i = text.split(" "), [], 0
    while i < len(words):
        n = rng.randint(*sizes)
        out.append(" ".join(words[i:i + n]) + (" " if i + n < len(words) else ""))
        i += n
    return out


def focus(m: Material, concept: str, rng: random.Random) -> Material:
    """Material for a follow-up on one concept: that criterion's sentences, a little context."""
    i = m.concepts.index(concept) if concept in m.concepts else rng.randrange(max(1, len(m.asserts)))

    def pick(xs: list[list[str]]) -> list[list[str]]:
        return [xs[i]] if i < len(xs) else []

    sample = rng.sample(m.sample, min(1, len(m.sample)))
    return Material(m.question, sample, pick(m.asserts), pick(m.partial), pick(m.contradicts), [])


async def candidate(t: Target, lv: Level, materials: dict[str, Material], maker: AnswerMaker,
                    human: Human, args: argparse.Namespace, rng: random.Random, live: set[int]) -> None:
    """One candidate's interview, from arrival to summary (or the first error)."""
    me = id(asyncio.current_task())
    live.add(me)
    sent: dict[int, float] = {}
    try:
        async with websockets.connect(t.ws_url, max_size=2**20, open_timeout=30) as ws:
            await ws.send(json.dumps({"type": "start", "num_questions": args.questions,
                                      "max_followups": args.followups}))
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 120))
                kind = msg["type"]
                if kind == "error":
                    lv.errors.append(msg["code"])
                    if msg["code"] != "busy":
                        return
                elif kind == "question":
                    m = materials.get(msg.get("parent_question_id") or msg["question_id"])
                    if m is None:
                        m = Material(msg["text"], [msg["text"]])
                    if msg.get("kind") == "followup":
                        m = focus(m, msg.get("concept") or "", rng)
                    text = maker.answer(m)
                    await asyncio.sleep(human.think(rng))
                    for chunk in bursts(text, rng, human.burst_words):
                        await asyncio.sleep(human.typing(word_count(chunk)) * rng.uniform(0.7, 1.3))
                        await ws.send(json.dumps({"type": "answer.delta", "text": chunk}))
                        lv.deltas += 1
                    sent[msg["turn"]] = time.perf_counter()
                    lv.answers += 1
                    lv.answer_words.append(word_count(text))
                    await ws.send(json.dumps({"type": "answer.submit"}))
                elif kind == "grade" and msg["turn"] in sent:
                    lv.latencies.append(time.perf_counter() - sent.pop(msg["turn"]))
                    lv.grades += 1
                elif kind == "summary":
                    return
    except TimeoutError:
        lv.errors.append("no server message for 120 s")
    except Exception as exc:  # counted with its reason; the level goes on
        lv.errors.append(f"{type(exc).__name__}: {exc}"[:120])
    finally:
        live.discard(me)


def lag_p99(before: dict[float, float], after: dict[float, float]) -> float:
    """Upper bound of the bucket holding the 99th percentile of the lags observed in between."""
    delta = {le: after[le] - before.get(le, 0.0) for le in sorted(after)}
    total = delta.get(float("inf"), 0.0)
    return next((le for le, n in delta.items() if total and n >= 0.99 * total), float("nan"))


async def run_level(t: Target, rate: float, args: argparse.Namespace, materials: dict[str, Material],
                    maker: AnswerMaker, human: Human, echo_url: str, seed: int) -> Level:
    """Offer `rate` answers per second to one server for a level; drain; measure."""
    lv = Level(t.name, rate, args.level_seconds)
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=t.base, timeout=30) as http:
        before = lag_buckets((await http.get("/metrics")).text)
    n_pings = max(5, int(args.level_seconds / args.ping_gap))
    pings = asyncio.gather(ping_rtt(t.ws_url, n_pings, "app", gap=args.ping_gap),
                           ping_rtt(echo_url, n_pings, "echo", gap=args.ping_gap),
                           return_exceptions=True)
    live: set[int] = set()
    rss: list[float] = []
    lags_from = len(LAGS)

    async def sample() -> None:
        while True:
            lv.open_samples.append(len(live))
            if t.proc is not None:
                rss.append(rss_mb(t.proc.pid))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    clock = 0.0
    while True:
        clock += rng.expovariate(rate / args.questions)
        if clock >= args.level_seconds or len(tasks) >= args.max_candidates:
            break
        await asyncio.sleep(max(0.0, start + clock - time.perf_counter()))
        tasks.append(asyncio.create_task(candidate(t, lv, materials, maker, human, args,
                                                   random.Random(rng.random()), live)))
    lv.candidates = len(tasks)
    arrivals_end = time.perf_counter()
    _, pending = await asyncio.wait(tasks, timeout=args.drain_seconds) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    lv.errors += ["drain timeout"] * len(pending)
    app_rtt, echo_rtt = await pings
    sampler.cancel()
    async with httpx.AsyncClient(base_url=t.base, timeout=30) as http:
        text = (await http.get("/metrics")).text
    arrival_window = arrivals_end - start
    window = [n for n in lv.open_samples[:max(1, int(arrival_window / 0.5))]]
    ok_pings = not isinstance(app_rtt, BaseException) and not isinstance(echo_rtt, BaseException)
    if not ok_pings:
        lv.errors.append(f"ping socket: {app_rtt if isinstance(app_rtt, BaseException) else echo_rtt}"[:120])
    app_p99 = pct(app_rtt, .99) if not isinstance(app_rtt, BaseException) else float("nan")
    echo_p99 = pct(echo_rtt, .99) if not isinstance(echo_rtt, BaseException) else float("nan")
    lv.summary = {
        # realised offered rate: the answers of the candidates who arrived, per second of arrivals
        "answers_per_s": lv.answers / args.level_seconds,
        "p50_s": pct(lv.latencies, .5), "p99_s": pct(lv.latencies, .99),
        "max_s": max(lv.latencies, default=float("nan")),
        "errors": len(lv.errors), "error_reasons": dict(Counter(lv.errors)),
        "open_mean": sum(window) / len(window) if window else 0.0,
        "open_max": max(lv.open_samples, default=0),
        "ping_app_p99_ms": app_p99 * 1000, "ping_echo_p99_ms": echo_p99 * 1000,
        "ping_ratio": app_p99 / echo_p99,
        "lag_p99_ms": lag_p99(before, lag_buckets(text)) * 1000,
        "lag_max_since_start_ms": metric(text, "interviewer_event_loop_lag_max_seconds") * 1000,
        "client_lag_max_ms": max(LAGS[lags_from:], default=0.0) * 1000,
        "rss_mb_max": max(rss, default=float("nan")),
        "words_mean": sum(lv.answer_words) / len(lv.answer_words) if lv.answer_words else 0.0,
        "deltas_per_answer": lv.deltas / lv.answers if lv.answers else 0.0,
        "load_average_1min": os.getloadavg()[0],  # the machine is shared: how busy it was
    }
    lv.summary["ok"] = bool(lv.answers and lv.grades == lv.answers and not lv.errors
                            and lv.summary["p99_s"] <= P99_LIMIT_S)
    return lv


def env_pairs(pairs: list[str]) -> dict[str, str]:
    """KEY=VALUE settings for a started server."""
    return dict(p.split("=", 1) for p in pairs)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the server lets in-flight grading finish), then SIGKILL after a minute."""
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        print(f"server {proc.pid} still grading a minute after SIGTERM: killed", file=sys.stderr)
        proc.kill()
        proc.wait()


def row(lv: Level) -> str:
    s = lv.summary
    errs = ", ".join(f"{k} x{v}" for k, v in s["error_reasons"].items()) or "0"
    return (f"| {lv.target} | {lv.offered_answers_per_s:g} | {s['answers_per_s']:.1f} | {lv.candidates} | "
            f"{s['open_mean']:.0f} / {s['open_max']} | {lv.answers} / {lv.grades} | "
            f"{s['p50_s'] * 1000:.0f} / {s['p99_s'] * 1000:.0f} | {errs} | "
            f"{s['ping_app_p99_ms']:.1f} vs {s['ping_echo_p99_ms']:.1f}: {s['ping_ratio']:.2f}x | "
            f"{s['lag_p99_ms']:.0f} / {s['lag_max_since_start_ms']:.0f} | {s['rss_mb_max']:.0f} | "
            f"{s['load_average_1min']:.1f} | {'yes' if s['ok'] else 'NO'} |")


HEADER = ("| server | offered answers/s | realised answers/s | candidates | open sockets mean / max | "
          "answers / grades | answer->grade p50 / p99 ms | errors | ping p99 app vs echo ms | "
          "server loop lag p99 / max ms | server RSS MB | load avg | p99 <= 2 s, 0 errors |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def capacity(levels: list[Level], human: Human) -> dict[str, Any]:
    """The last good level before the first failing one, converted back to human time."""
    good = None
    for lv in levels:
        if not lv.summary["ok"]:
            break
        good = lv
    if good is None:
        return {"offered_answers_per_s": 0.0}
    s = good.summary
    cycle = human.think_s + human.typing(s["words_mean"]) * human.compression  # human seconds/answer
    return {"offered_answers_per_s": good.offered_answers_per_s, "answers_per_s": s["answers_per_s"],
            "open_sockets_mean": s["open_mean"], "p99_s": s["p99_s"],
            "human_seconds_per_answer": cycle,
            "human_concurrent_candidates": s["answers_per_s"] * cycle}


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    human = Human(args.wpm, args.think_seconds, args.compression)
    targets: list[Target] = []
    if args.url:
        targets.append(Target("url", args.url.rstrip("/"), None))
    else:
        proc, base = start_server(prefix="load-model-", extra_env=env_pairs(args.env))
        targets.append(Target("this checkout", base, proc))
    if args.baseline_checkout:
        proc, base = start_server(Path(args.baseline_checkout).resolve(), prefix="load-model-base-",
                                  extra_env=env_pairs(args.baseline_env))
        targets.append(Target("baseline", base, proc))
    echo_port = free_port()
    echo = echo_server(echo_port)
    client_lag = asyncio.create_task(loop_lag())
    levels: list[Level] = []
    try:
        for t in targets:
            with httpx.Client(base_url=t.base, timeout=30) as http:
                await wait_ready(http, args.ready_timeout)
        with httpx.Client(base_url=targets[0].base, timeout=30) as http:
            claims = load_claims()
            materials = {q["id"]: material(q, claims) for q in bank_questions(http)}
        maker = AnswerMaker(args.seed, args.median_words)
        rates = [float(r) for r in args.rates.split(",")]
        warm = argparse.Namespace(**{**vars(args), "level_seconds": 10.0, "max_candidates": args.warmup})
        for t in targets:  # the first gradings load lazily built parts: not part of any level
            if args.warmup:
                lv = await run_level(t, 2.0, warm, materials, maker, human,
                                     f"ws://127.0.0.1:{echo_port}", -1)
                print(f"warm-up {t.name}: {lv.grades} grades, errors {lv.summary['error_reasons']}",
                      file=sys.stderr, flush=True)
        for i, rate in enumerate(rates):
            order = targets if i % 2 == 0 else targets[::-1]  # interleaved, alternating first
            for t in order:
                if t.failed:
                    continue
                lv = await run_level(t, rate, args, materials, maker, human,
                                     f"ws://127.0.0.1:{echo_port}", args.seed * 1000 + i)
                levels.append(lv)
                t.failed = not lv.summary["ok"] and not args.keep_going
                print(row(lv), file=sys.stderr, flush=True)
                await asyncio.sleep(args.pause)
            if all(t.failed for t in targets):
                break
    finally:
        client_lag.cancel()
        echo.terminate()
        for t in targets:
            if t.proc is not None:
                stop(t.proc)
    caps = {t.name: capacity([lv for lv in levels if lv.target == t.name], human) for t in targets}
    result: dict[str, Any] = {
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}",
        "load_average": os.getloadavg(), "human": asdict(human), "questions": args.questions,
        "followups": args.followups, "level_seconds": args.level_seconds,
        "levels": [{"target": lv.target, "offered_answers_per_s": lv.offered_answers_per_s,
                    "candidates": lv.candidates, "answers": lv.answers, "grades": lv.grades,
                    **lv.summary} for lv in levels],
        "capacity": caps,
    }
    if len(targets) == 2:
        a, b = (caps[t.name].get("answers_per_s", 0.0) for t in targets)
        result["capacity_ratio"] = a / b if b else float("nan")
    report(levels, result)
    return result


def report(levels: list[Level], result: dict[str, Any]) -> None:
    print(f"machine: {result['machine']}; load average at the end {result['load_average']}")
    h = result["human"]
    print(f"human model: {h['wpm']:g} words/min, think {h['think_s']:g} s (mean) before each answer, "
          f"time compressed {h['compression']:g}x; {result['questions']} questions per interview, "
          f"follow-ups {result['followups']}; levels of {result['level_seconds']:g} s of arrivals")
    print(HEADER)
    for lv in levels:
        print(row(lv))
    for name, c in result["capacity"].items():
        if not c.get("answers_per_s"):
            print(f"capacity {name}: no level passed (p99 <= {P99_LIMIT_S:g} s, 0 errors)")
            continue
        print(f"capacity {name}: {c['offered_answers_per_s']:g} answers/s offered "
              f"({c['answers_per_s']:.1f} measured, p99 {c['p99_s'] * 1000:.0f} ms, "
              f"{c['open_sockets_mean']:.0f} compressed candidates open on average) = about "
              f"{c['human_concurrent_candidates']:.0f} concurrent candidates at human speed "
              f"(one answer per {c['human_seconds_per_answer']:.0f} s each)")
    if "capacity_ratio" in result:
        print(f"capacity ratio this checkout / baseline: {result['capacity_ratio']:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rates", default="0.5,1,1.5,2,3,4,5,6,8,10,12,16,20,24,32",
                    help="offered answers/s per level, stepped up until a level fails")
    ap.add_argument("--keep-going", action="store_true",
                    help="run every level even after one failed (a latency curve past capacity)")
    ap.add_argument("--level-seconds", type=float, default=45.0, help="arrivals last this long")
    ap.add_argument("--drain-seconds", type=float, default=180.0)
    ap.add_argument("--max-candidates", type=int, default=100_000, help="arrivals per level at most")
    ap.add_argument("--questions", type=int, default=3, help="main questions per interview")
    ap.add_argument("--followups", type=int, default=0, help="max_followups of each interview")
    ap.add_argument("--wpm", type=float, default=40.0, help="typing speed, words per minute")
    ap.add_argument("--think-seconds", type=float, default=20.0, help="mean think time per answer")
    ap.add_argument("--compression", type=float, default=30.0, help="human time / benchmark time")
    ap.add_argument("--median-words", type=int, default=90)
    ap.add_argument("--ping-gap", type=float, default=0.1)
    ap.add_argument("--pause", type=float, default=3.0, help="seconds between levels")
    ap.add_argument("--warmup", type=int, default=4, help="candidates interviewed before level 1")
    ap.add_argument("--ready-timeout", type=float, default=600.0,
                    help="seconds a started server may take to load (a busy shared machine is slow)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--url", default=None, help="http://host:port of a running server")
    ap.add_argument("--baseline-checkout", default=None,
                    help="another checkout (e.g. a git worktree of an older commit) to measure beside")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                    help="a setting of the server this script starts, e.g. INTERVIEWER_GRADER_PROCESSES=2")
    ap.add_argument("--baseline-env", action="append", default=[], metavar="KEY=VALUE",
                    help="a setting of the baseline server (with the same checkout: A/B of a setting)")
    ap.add_argument("--json", default=None, help="write the results here ('-': stdout)")
    args = ap.parse_args()
    result = asyncio.run(main_async(args))
    if args.json == "-":
        print(json.dumps(result, indent=1))
    elif args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
