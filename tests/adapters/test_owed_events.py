"""The OwedEvents contract (webhook events committed with the session state), against SQLite, a real
redis-server and a real PostgreSQL: written only with their commit, leased, settled."""

from __future__ import annotations

import time

import pytest

from interviewer.errors import Superseded
from interviewer.service.ports import OwedEvents, SessionStore
from interviewer.service.records import OwedEvent, StoredSession


@pytest.fixture
async def store(store: SessionStore) -> SessionStore:
    """The conftest's store of each kind, holding one session."""
    await store.create(StoredSession("s1", {"phase": "asking"}, 0, "hash", "acme", 1.0, 1.0))
    return store


def owed(store: SessionStore) -> OwedEvents:
    assert isinstance(store, OwedEvents)
    return store


def ev(n: int, due: float = 100.0) -> OwedEvent:
    return OwedEvent(f"evt_{n}", "s1", "acme", "grade.created", f'{{"id":"evt_{n}","n":{n}}}', due)


async def test_owed_events_are_committed_with_the_state_and_leased_once_due(store: SessionStore) -> None:
    await store.commit("s1", state={"phase": "asking", "n": 1}, messages=[{"seq": 1, "type": "grade"}],
                       last_seq=1, owed=[ev(1), ev(2)])
    got = await store.get("s1")
    assert got is not None and got.state["n"] == 1
    o = owed(store)
    assert await o.owed_claim(now=99.0, lease=30.0, limit=10) == []  # its own instance's turn
    claimed = await o.owed_claim(now=100.0, lease=30.0, limit=10)
    assert claimed == [ev(1, 130.0), ev(2, 130.0)]  # every field round-trips, in commit order
    assert await o.owed_claim(now=129.0, lease=30.0, limit=10) == []  # leased
    again = await o.owed_claim(now=130.0, lease=30.0, limit=1)  # the claimer died: due again
    assert [e.event_id for e in again] == ["evt_1"]
    await o.owed_settle(["evt_1", "evt_unknown"])
    assert [e.event_id for e in await o.owed_claim(now=500.0, lease=30.0, limit=10)] == ["evt_2"]
    await o.owed_settle(["evt_2"])
    assert await o.owed_claim(now=10_000.0, lease=30.0, limit=10) == []


async def test_a_refused_commit_owes_nothing_and_an_event_is_owed_once(store: SessionStore) -> None:
    await store.claim("s1", "other:1")
    with pytest.raises(Superseded):
        await store.commit("s1", state={"phase": "finished"}, messages=[], last_seq=1, owner="me:1",
                           owed=[ev(1)])
    o = owed(store)
    assert await o.owed_claim(now=time.time() + 10**6, lease=30.0, limit=10) == []
    for _ in range(2):  # a commit retried with the same event
        await store.commit("s1", state={"phase": "finished"}, messages=[], last_seq=1, owed=[ev(3)])
    assert [e.event_id for e in await o.owed_claim(now=100.0, lease=30.0, limit=10)] == ["evt_3"]
