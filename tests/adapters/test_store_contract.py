"""The SessionStore contract, run against every implementation with real backends."""

from __future__ import annotations

import asyncio
import time

import pytest

from interviewer.errors import SessionNotFound
from interviewer.service.ports import SessionStore
from interviewer.service.records import StoredSession


def make_session(sid: str = "s1", org: str = "default", created: float | None = None) -> StoredSession:
    now = created if created is not None else time.time()
    return StoredSession(sid, {"phase": "asking", "turns": []}, 0, "hash", org, now, now)


async def test_create_get_roundtrip(store: SessionStore) -> None:
    s = make_session()
    await store.create(s)
    got = await store.get("s1")
    assert got is not None
    assert got.state == s.state and got.org_id == "default" and got.resume_token_hash == "hash"
    assert await store.get("nope") is None


async def test_commit_saves_state_and_appends_messages_in_order(store: SessionStore) -> None:
    await store.create(make_session())
    await store.commit("s1", state={"phase": "grading", "n": 1},
                       messages=[{"seq": 1, "type": "session"}, {"seq": 2, "type": "question"}], last_seq=2)
    await store.commit("s1", state={"phase": "asking", "n": 2},
                       messages=[{"seq": 5, "type": "grade"}], last_seq=7)
    got = await store.get("s1")
    assert got is not None and got.state == {"phase": "asking", "n": 2} and got.last_seq == 7
    assert [m["seq"] for m in await store.messages_after("s1", 0)] == [1, 2, 5]
    assert [m["type"] for m in await store.messages_after("s1", 2)] == ["grade"]
    assert await store.messages_after("s1", 5) == []


async def test_last_seq_never_goes_back(store: SessionStore) -> None:
    await store.create(make_session())
    await store.commit("s1", state={"phase": "asking"}, messages=[], last_seq=10)
    await store.commit("s1", state={"phase": "asking"}, messages=[], last_seq=4)
    got = await store.get("s1")
    assert got is not None and got.last_seq == 10


async def test_commit_to_unknown_session_fails(store: SessionStore) -> None:
    with pytest.raises(SessionNotFound):
        await store.commit("ghost", state={}, messages=[{"seq": 1}], last_seq=1)
    assert await store.messages_after("ghost", 0) == []


async def test_list_by_org_newest_first(store: SessionStore) -> None:
    for i, org in enumerate(["a", "b", "a", "a"]):
        await store.create(make_session(f"s{i}", org, created=1000.0 + i))
    listed = await store.list_sessions(org_id="a", limit=10)
    assert [s.session_id for s in listed] == ["s3", "s2", "s0"]
    page = await store.list_sessions(org_id="a", limit=1, offset=1)
    assert [s.session_id for s in page] == ["s2"]
    assert len(await store.list_sessions(limit=10)) == 4


async def test_concurrent_commits_keep_every_message(store: SessionStore) -> None:
    await store.create(make_session())

    async def write(seq: int) -> None:
        await store.commit("s1", state={"phase": "asking", "seq": seq},
                           messages=[{"seq": seq, "type": "x"}], last_seq=seq)

    await asyncio.gather(*(write(i) for i in range(1, 41)))
    assert [m["seq"] for m in await store.messages_after("s1", 0)] == list(range(1, 41))
    got = await store.get("s1")
    assert got is not None and got.last_seq == 40


async def test_newest_claim_wins(store: SessionStore) -> None:
    from interviewer.errors import Superseded

    await store.create(make_session())
    await store.claim("s1", "A")
    await store.commit("s1", state={"phase": "asking", "by": "A"}, messages=[{"seq": 1}],
                       last_seq=1, owner="A")
    await store.claim("s1", "B")
    with pytest.raises(Superseded):
        await store.commit("s1", state={"phase": "asking", "by": "A-stale"},
                           messages=[{"seq": 2}], last_seq=2, owner="A")
    got = await store.get("s1")
    assert got is not None and got.state["by"] == "A" and got.last_seq == 1
    assert [m["seq"] for m in await store.messages_after("s1", 0)] == [1]
    await store.commit("s1", state={"phase": "asking", "by": "B"}, messages=[], last_seq=3, owner="B")
    with pytest.raises(SessionNotFound):
        await store.claim("ghost", "A")


async def test_commit_does_not_wait_behind_the_default_executor(store: SessionStore) -> None:
    # Grading and search can fill the loop's default executor for minutes under load; a commit
    # queued behind them would stall the socket waiting for it (no frames read, keepalive lost).
    import threading
    from concurrent.futures import ThreadPoolExecutor

    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=1)
    loop.set_default_executor(pool)
    release = threading.Event()
    blocker = loop.run_in_executor(None, release.wait, 30)
    try:
        await asyncio.wait_for(store.create(make_session()), 10)
        await asyncio.wait_for(store.commit("s1", state={"phase": "grading"},
                                            messages=[{"seq": 1, "type": "session"}], last_seq=1), 10)
        got = await asyncio.wait_for(store.get("s1"), 10)
        assert got is not None and got.state == {"phase": "grading"}
    finally:
        release.set()
        await blocker


async def test_delete_removes_the_session_its_messages_and_its_listing(store: SessionStore) -> None:
    await store.create(make_session("s1", "a", created=1000.0))
    await store.create(make_session("s2", "a", created=1001.0))
    await store.commit("s1", state={"phase": "finished"},
                       messages=[{"seq": 1, "type": "session"}, {"seq": 2, "type": "grade"}], last_seq=2)
    assert await store.delete("s1") is True
    assert await store.get("s1") is None
    assert await store.messages_after("s1", 0) == []
    assert [s.session_id for s in await store.list_sessions(org_id="a")] == ["s2"]
    assert [s.session_id for s in await store.list_sessions()] == ["s2"]
    assert await store.delete("s1") is False
    with pytest.raises(SessionNotFound):  # a holder that did not hear of it cannot bring it back
        await store.commit("s1", state={"phase": "asking"}, messages=[{"seq": 3}], last_seq=3, owner="A")
    with pytest.raises(SessionNotFound):
        await store.claim("s1", "A")
    assert await store.messages_after("s1", 0) == []
    got = await store.get("s2")
    assert got is not None and got.org_id == "a"


async def test_created_before_lists_old_sessions_oldest_first(store: SessionStore) -> None:
    for i, org in enumerate(["a", "b", "a"]):
        await store.create(make_session(f"s{i}", org, created=1000.0 + i))
    assert [s.session_id for s in await store.created_before(1002.0)] == ["s0", "s1"]
    assert [s.session_id for s in await store.created_before(1002.0, limit=1)] == ["s0"]
    assert await store.created_before(1000.0) == []
    assert [s.session_id for s in await store.created_before(2000.0)] == ["s0", "s1", "s2"]


# ---- orphaned work (the OrphanedWork port of both stores) ----


async def test_grading_of_a_dead_instance_is_orphaned_and_adopted_once(store: SessionStore) -> None:
    from interviewer.errors import Superseded
    from interviewer.service.ports import OrphanedWork

    assert isinstance(store, OrphanedWork)
    for sid in ("s1", "s2", "s3"):
        await store.create(make_session(sid))
        await store.claim(sid, "i1:a" if sid != "s3" else "i2:a")
    await store.commit("s1", state={"phase": "grading"}, messages=[], last_seq=0, owner="i1:a")
    await store.commit("s3", state={"phase": "selecting"}, messages=[], last_seq=0, owner="i2:a")
    # s2 waits for the candidate (asking): nothing to take over
    await store.heartbeat("i1", ttl=0.3)
    await store.heartbeat("i2", ttl=30)
    assert await store.orphaned() == []
    await asyncio.sleep(0.5)  # i1 stopped beating
    assert await store.orphaned() == [("s1", "i1:a")]
    assert not await store.adopt("s1", expected_owner="i9:x", owner="i3:b")  # someone else first
    assert await store.adopt("s1", expected_owner="i1:a", owner="i3:b")
    assert not await store.adopt("s1", expected_owner="i1:a", owner="i4:c")  # only one adopter
    with pytest.raises(Superseded):  # the old owner, were it alive after all, can no longer write
        await store.commit("s1", state={"phase": "asking"}, messages=[], last_seq=0, owner="i1:a")
    await store.heartbeat("i3", ttl=30)
    assert await store.orphaned() == []
    await store.commit("s1", state={"phase": "asking"}, messages=[], last_seq=0, owner="i3:b")
    await store.heartbeat("i3", ttl=0.01)
    await asyncio.sleep(0.1)
    assert await store.orphaned() == []  # it is no longer waiting on work
    assert await store.delete("s3") and await store.orphaned() == []
