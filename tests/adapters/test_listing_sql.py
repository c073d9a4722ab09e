"""The SQL stores' listing columns and keyset query agree with the list's own rules (Filters.keep)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import fields
from pathlib import Path

import pytest

from interviewer.core.models import Verdict
from interviewer.core.state import InterviewState
from interviewer.service import transcript as tr
from interviewer.service.codec import state_to_dict
from interviewer.service.listing import listing_fields
from interviewer.service.ports import AdminStore, IndexedStore
from interviewer.service.records import ListingQuery, SessionMeta, StoredSession
from interviewer.service.review import Filters, _query
from tests.core.test_interview import answer_and_grade, started


@pytest.fixture(params=["sqlite", "postgres"])
async def stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[IndexedStore, AdminStore]]:
    """A session store that indexes the listing, and the admin store of the same database."""
    if request.param == "sqlite":
        from interviewer.adapters.store.admin_sqlite import SqliteAdminStore
        from interviewer.adapters.store.sessions_sqlite import SqliteSessionStore

        path = tmp_path / "one.sqlite3"
        s: IndexedStore = SqliteSessionStore(path, indexer=listing_fields, with_admin=True)
        a: AdminStore = SqliteAdminStore(path)
    else:
        from interviewer.adapters.store.admin_postgres import PostgresAdminStore
        from interviewer.adapters.store.sessions_postgres import PostgresSessionStore

        url = request.getfixturevalue("postgres_db")
        s, a = PostgresSessionStore(url, indexer=listing_fields), PostgresAdminStore(url)
    yield s, a
    await s.close()  # type: ignore[attr-defined]
    await a.close()


def make_state(rng: random.Random) -> InterviewState:
    state = started(2, max_followups=0, company=rng.choice(["Acme", "Initech", None]),
                    difficulty=rng.choice(["easy", "hard", None]),
                    topics=tuple(rng.sample(["rag", "evals", "serving"], rng.randint(0, 2))))
    for _ in range(rng.randint(0, 2)):  # 0: pending, 1: in progress, 2: completed
        verdicts = {"a": rng.choice(list(Verdict)), "b": rng.choice(list(Verdict))}
        state, _ = answer_and_grade(state, verdicts)
    return state


FILTERS = [
    Filters(), Filters(status="completed"), Filters(status="pending"), Filters(company="Acme"),
    Filters(company="OpenAI"), Filters(topic="rag"), Filters(topic="inference"),
    Filters(difficulty="hard"), Filters(min_score=50), Filters(max_score=40), Filters(flagged=False),
    Filters(needs_review=False), Filters(created_from=1010.0, created_to=1030.0),
    Filters(status="completed", topic="evals", min_score=1), Filters(candidate_ref="cand-1"),
    Filters(candidate_ref="cand-2", status="completed"),
]


async def test_indexed_query_matches_the_list_rules_and_keyset_pages_cover_everything(
    stores: tuple[IndexedStore, AdminStore],
) -> None:
    store, admin = stores
    rng = random.Random(7)
    metas: dict[str, SessionMeta] = {}
    rows: list[tuple[StoredSession, InterviewState]] = []
    for i in range(60):
        state = make_state(rng)
        created = 1000.0 + i // 3  # ties in created_at: the keyset must break them by id
        s = StoredSession(f"s{i:02d}", state_to_dict(state), 0, "h", rng.choice(["a", "a", "b"]),
                          created, created)
        await store.create(s)  # type: ignore[attr-defined]
        if i % 5 != 0:
            metas[s.session_id] = SessionMeta(s.session_id, s.org_id, created, f"cand-{i % 3}")
            await admin.put_session_meta(metas[s.session_id])
        if i % 4 == 0 and state.phase.value != "finished":  # a later commit changes the indexed columns
            state, _ = answer_and_grade(state, {"a": Verdict.MET, "b": Verdict.MET})
            await store.commit(s.session_id, state=state_to_dict(state), messages=[],  # type: ignore[attr-defined]
                               last_seq=1)
        rows.append((s, state))
    newest_first = sorted(rows, key=lambda r: (r[0].created_at, r[0].session_id), reverse=True)
    some_match = 0
    for f in FILTERS:
        want = [s.session_id for s, st in newest_first
                if s.org_id == "a" and f.keep(tr.item(s, metas.get(s.session_id), st), st)]
        some_match += bool(want)
        got: list[str] = []
        after = None
        while True:  # pages of 4 through the keyset
            page = await store.query_page(org_id="a", query=_query(f), limit=4, after=after)
            got += [p.session_id for p in page]
            if len(page) < 4:
                break
            after = (page[-1].created_at, page[-1].session_id)
        assert got == want, f
    assert some_match >= len(FILTERS) - 2  # the filters are not vacuous


def test_every_filter_goes_to_the_query() -> None:
    assert {f.name for f in fields(ListingQuery)} == {f.name for f in fields(Filters)}
