"""Listing 100,000 stored interviews: `GET /v1/interviews` pages on PostgreSQL vs Redis (and SQLite).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/listing_bench.py --sessions 100000

Starts its own PostgreSQL cluster (Debian's initdb/pg_ctl) and redis-server in temporary
directories (the helpers of tests/conftest.py), loads the same generated interviews into each
(all in one organisation, the worst case), then times the service's `list_interviews` — what the
REST handler runs — for the first page (50, no filter) and for a deep filtered page (status
completed + a topic, from a cursor half way down the list). It reports p50/p99 per store, and the
ratios against the Redis listing measured in the same run. Load times are not measured.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from interviewer.core import interview, scoring  # noqa: E402
from interviewer.core.models import CriterionResult, Evidence, Grade, Verdict  # noqa: E402
from interviewer.core.state import (  # noqa: E402
    AnswerSubmitted,
    GradeAnswer,
    GradeReady,
    InterviewConfig,
    InterviewState,
    PlannedQuestion,
)
from interviewer.service.auth import Principal  # noqa: E402
from interviewer.service.codec import state_to_dict  # noqa: E402
from interviewer.service.container import Services  # noqa: E402
from interviewer.service.listing import listing_fields  # noqa: E402
from interviewer.service.review import Filters, encode_cursor, list_interviews  # noqa: E402

TOPICS = ["rag", "evals", "serving", "training", "alignment", "inference"]


def template(rng: random.Random) -> dict[str, Any]:
    """A realistic stored state: 3 planned questions, 0-3 answered and graded."""
    plan = tuple(PlannedQuestion(f"q{i}", f"Question {i}?", rng.choice(TOPICS), rng.choice(
        ["easy", "medium", "hard"]), (rng.choice(["OpenAI", "Anthropic", "Google"]),)) for i in range(3))
    cfg = InterviewConfig(num_questions=3, max_followups=0, company=rng.choice(["Acme", "Initech", None]),
                          topics=tuple(rng.sample(TOPICS, rng.randint(0, 2))))
    state: InterviewState
    state, _ = interview.start("s", cfg, plan, 0.0)
    for _ in range(rng.choice([0, 1, 3, 3])):
        state, actions = interview.step(state, AnswerSubmitted("an answer " * 40, 1.0))
        ask = next(a for a in actions if isinstance(a, GradeAnswer))
        verdicts = [rng.choice(list(Verdict)) for _ in range(4)]
        results = tuple(CriterionResult(f"c{j}", f"C{j}", v, 0.25, Evidence(0, 3, "abc"))
                        for j, v in enumerate(verdicts))
        grade = Grade(ask.question_id, scoring.score(results), results, "offline", "feedback " * 30)
        if rng.random() < 0.1:
            grade = replace(grade, flags=("judges_disagree",))
        state, _ = interview.step(state, GradeReady(ask.turn_index, grade, 2.0))
    return state_to_dict(state)


def sessions(n: int, seed: int = 1) -> tuple[list[dict[str, Any]], list[tuple[str, float, int]]]:
    rng = random.Random(seed)
    templates = [template(rng) for _ in range(300)]
    # unique created_at: every store orders the list the same way, so one cursor serves all
    rows = [(f"s{i:07d}", 1.7e9 + i * 0.5, rng.randrange(len(templates))) for i in range(n)]
    return templates, rows


async def load_postgres(url: str, templates: list[dict[str, Any]], rows: list[tuple[str, float, int]],
                        org: str) -> None:
    import psycopg

    fields = [listing_fields(t) for t in templates]
    texts = [json.dumps(t) for t in templates]
    async with await psycopg.AsyncConnection.connect(url) as conn:
        async with conn.cursor() as cur:
            async with cur.copy("COPY sessions (session_id, org_id, state, last_seq, resume_token_hash,"
                                " created_at, updated_at, phase, status, score, needs_review, flagged,"
                                " finished_at) FROM STDIN") as copy:
                for sid, created, t in rows:
                    f = fields[t]
                    assert f is not None
                    await copy.write_row((sid, org, texts[t], 0, "h", created, created,
                                          templates[t]["phase"], f.status, f.score, f.needs_review,
                                          f.flagged, f.finished_at))
            async with cur.copy("COPY session_tags (session_id, kind, value, org_id, created_at)"
                                " FROM STDIN") as copy:
                for sid, created, t in rows:
                    for kind, value in fields[t].tags():  # type: ignore[union-attr]
                        await copy.write_row((sid, kind, value, org, created))
        await conn.execute("ANALYZE")
        await conn.commit()


def load_sqlite(path: Path, templates: list[dict[str, Any]], rows: list[tuple[str, float, int]],
                org: str) -> None:
    import sqlite3

    from interviewer.adapters.store.db_migrate import ensure_sqlite

    ensure_sqlite(path)
    fields = [listing_fields(t) for t in templates]
    texts = [json.dumps(t) for t in templates]
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO sessions (session_id, org_id, state, last_seq, resume_token_hash, created_at,"
            " updated_at, phase, status, score, needs_review, flagged, finished_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(sid, org, texts[t], 0, "h", c, c, templates[t]["phase"], fields[t].status,  # type: ignore[union-attr]
              fields[t].score, fields[t].needs_review, fields[t].flagged, fields[t].finished_at)  # type: ignore[union-attr]
             for sid, c, t in rows])
        db.executemany("INSERT INTO session_tags VALUES (?,?,?,?,?)",
                       [(sid, k, v, org, c) for sid, c, t in rows for k, v in fields[t].tags()])  # type: ignore[union-attr]
        db.execute("ANALYZE")


async def load_redis(url: str, templates: list[dict[str, Any]], rows: list[tuple[str, float, int]],
                     org: str) -> None:
    from interviewer.adapters.store.sessions_redis import (
        GLOBAL_INDEX,
        RedisSessionStore,
        _org_key,
        _session_key,
    )

    store = RedisSessionStore.from_url(url)
    texts = [json.dumps(t) for t in templates]
    try:
        for i in range(0, len(rows), 2000):
            async with store.redis.pipeline(transaction=False) as pipe:
                for sid, created, t in rows[i:i + 2000]:
                    await store._create(keys=[_session_key(sid), GLOBAL_INDEX, _org_key(org)],
                                        args=[sid, org, texts[t], 0, "h", repr(created), repr(created),
                                              templates[t]["phase"]], client=pipe)
                await pipe.execute()
    finally:
        await store.close()


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


async def timed(svc: Services, filters: Filters, cursor: str | None, n: int) -> tuple[list[float], int]:
    principal = Principal("bench", "recruiter", "acme")
    out, items = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        page = await list_interviews(svc, principal=principal, filters=filters, limit=50, cursor=cursor)
        out.append((time.perf_counter() - t0) * 1000)
        items = len(page.items)
    return out, items


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=200, help="timed calls per case (SQL stores)")
    ap.add_argument("--repeat-redis-deep", type=int, default=5,
                    help="timed calls of Redis' deep page (each scans half the org)")
    ap.add_argument("--keep-gc", action="store_true",
                    help="do not freeze the generated data out of the garbage collector before timing")
    args = ap.parse_args()

    from interviewer.adapters.store.admin_postgres import PostgresAdminStore
    from interviewer.adapters.store.admin_redis import RedisAdminStore
    from interviewer.adapters.store.admin_sqlite import SqliteAdminStore
    from interviewer.adapters.store.db_migrate import upgrade
    from interviewer.adapters.store.sessions_postgres import PostgresSessionStore
    from interviewer.adapters.store.sessions_redis import RedisSessionStore
    from interviewer.adapters.store.sessions_sqlite import SqliteSessionStore
    from tests.conftest import PostgresCluster, RedisServer

    t0 = time.perf_counter()
    templates, rows = sessions(args.sessions)
    org = "acme"
    pg = PostgresCluster()
    work = Path(tempfile.mkdtemp(prefix="iv-listing-"))
    redis = RedisServer(work / "redis", appendonly=False)
    pg.start()
    redis.start()
    try:
        url = pg.create_database("bench")
        upgrade(url)
        await load_postgres(url, templates, rows, org)
        load_sqlite(work / "s.sqlite3", templates, rows, org)
        await load_redis(redis.url, templates, rows, org)
        print(f"loaded {args.sessions} interviews into each store in {time.perf_counter() - t0:.0f} s",
              file=sys.stderr)
        # The generated rows (100,000 sessions as Python objects) are the bench's, not a server's:
        # without this, the collector's full passes over them land in the timed calls as 100+ ms
        # spikes in every store alike (--keep-gc measures them).
        if not args.keep_gc:
            gc.collect()
            gc.freeze()

        stores: dict[str, Services] = {
            "postgres": cast(Services, _svc(PostgresSessionStore(url, indexer=listing_fields),
                                            PostgresAdminStore(url))),
            "sqlite": cast(Services, _svc(SqliteSessionStore(work / "s.sqlite3", indexer=listing_fields),
                                          SqliteAdminStore(work / "a.sqlite3"))),
            "redis": cast(Services, _svc(RedisSessionStore.from_url(redis.url),
                                         RedisAdminStore.from_url(redis.url))),
        }
        mid = sorted(rows, key=lambda r: r[1], reverse=True)[len(rows) // 2]
        deep_cursor = encode_cursor(mid[1], mid[0])
        deep = Filters(status="completed", topic="rag")
        results: dict[str, dict[str, tuple[float, float, int]]] = {}
        for name, svc in stores.items():
            await timed(svc, Filters(), None, 3)  # warm-up: pools, caches
            first, n1 = await timed(svc, Filters(), None, args.repeat if name != "redis" else 50)
            reps = args.repeat if name != "redis" else args.repeat_redis_deep
            deep_ms, n2 = await timed(svc, deep, deep_cursor, reps)
            results[name] = {"first page": (pct(first, 0.5), pct(first, 0.99), n1),
                             "deep filtered page": (pct(deep_ms, 0.5), pct(deep_ms, 0.99), n2)}
            await svc.store.close()
            if svc.admin is not None:
                await svc.admin.close()
        print(f"\n{args.sessions} interviews in one org; page = 50; deep = status=completed&topic=rag "
              "from a cursor half way down\n")
        print("| case | store | p50 ms | p99 ms | items | p50 / Redis p50 | p99 / Redis p99 |")
        print("|---|---|---|---|---|---|---|")
        for case in ("first page", "deep filtered page"):
            b50, b99, _ = results["redis"][case]
            for name in ("postgres", "sqlite", "redis"):
                p50, p99, n = results[name][case]
                print(f"| {case} | {name} | {p50:.1f} | {p99:.1f} | {n} | {p50 / b50:.2g}x | {p99 / b99:.2g}x |")
        print(f"\nload average during the run: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    finally:
        redis.stop()
        pg.stop()
        import shutil

        shutil.rmtree(work, ignore_errors=True)


def _svc(store: Any, admin: Any) -> Any:
    """Just what `list_interviews` reads of a Services: the session store and the admin store."""
    from types import SimpleNamespace

    return SimpleNamespace(store=store, admin=admin)


if __name__ == "__main__":
    asyncio.run(main())
