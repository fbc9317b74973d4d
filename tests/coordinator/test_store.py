"""The session store's contract: encryption at rest, integrity checks, concurrency, tokens,
purge. Every test runs against a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import MetaData, select, text
from sqlalchemy.exc import OperationalError

from coordinator_agent.leases import LeaseStore, Taken
from coordinator_agent.store import (
    Cipher,
    ConcurrencyConflict,
    LeaseLost,
    NewEscalation,
    NewEvent,
    OutboxItem,
    SessionIntegrityError,
    SessionNotFound,
    SessionStore,
    TokenExpired,
    TokenForOtherSession,
    TokenInvalid,
    make_engine,
)
from shared.domain import TERMINAL_STATES

SECRET_TEXT = "Jane Doe, jane.doe@example.com, 42 Baker Street: my blender broke"
DAY = 86400.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(database_url: str, clock: Clock) -> Iterator[SessionStore]:
    engine = make_engine(database_url)
    store = SessionStore(
        engine, Cipher(Fernet.generate_key().decode()), clock=clock, terminal_states=TERMINAL_STATES
    )
    store.migrate()
    yield store
    store.dispose()


def new_session(store: SessionStore, session_id: str = "s1", customer: str = "C-1001"):
    document = {"customer_id": customer, "message": SECRET_TEXT, "step": 0}
    return store.create(
        session_id, customer, "received", document, events=[NewEvent("session_created", "customer")]
    )


def raw(url: str, sql: str, **params) -> None:
    """Change the database behind the store's back, as an attacker or a bad script would."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(sql), params)
    engine.dispose()


def everything_stored(url: str) -> bytes:
    """Every value of every table, as the database holds it (and the SQLite files)."""
    engine = make_engine(url)
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as conn:
        rows = [row for table in tables.sorted_tables for row in conn.execute(select(table))]
    engine.dispose()
    values = b"".join(v if isinstance(v, bytes) else str(v).encode() for r in rows for v in r)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        values += b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    return values


def test_customer_data_is_encrypted_at_rest(store: SessionStore, database_url: str) -> None:
    stored, token = new_session(store)
    stored = store.save(
        stored,
        "analyzing",
        {**stored.document, "step": 1},
        actor="customer",
        events=[NewEvent("message", "customer", {"text": SECRET_TEXT})],
        escalation=NewEscalation("e1", "test", {"issue": SECRET_TEXT}),
    )
    store.rate("s1", 4, SECRET_TEXT)
    store.dispose()
    on_disk = everything_stored(database_url)
    assert b"received" in on_disk  # (the dump does hold the rows)
    for needle in ("jane.doe@example.com", "Baker Street", "Jane Doe", "blender", "C-1001", token):
        assert needle.encode() not in on_disk
    assert store.get("s1").document["message"] == SECRET_TEXT
    assert store.events("s1")[1].detail == {"text": SECRET_TEXT}
    assert store.rating("s1")["comment"] == SECRET_TEXT


def test_a_tampered_state_column_is_detected(store: SessionStore, database_url: str) -> None:
    stored, _ = new_session(store)
    raw(database_url, "UPDATE sessions SET state = 'resolved' WHERE id = 's1'")
    with pytest.raises(SessionIntegrityError):
        store.get("s1")
    with pytest.raises(SessionIntegrityError):
        store.save(stored, "analyzing", stored.document, actor="coordinator")


def test_a_document_moved_from_another_row_is_detected(
    store: SessionStore, database_url: str
) -> None:
    new_session(store, "s1")
    new_session(store, "s2", customer="C-2002")
    raw(
        database_url,
        "UPDATE sessions SET document = (SELECT document FROM sessions WHERE id = 's2'),"
        " checksum = (SELECT checksum FROM sessions WHERE id = 's2') WHERE id = 's1'",
    )
    with pytest.raises(SessionIntegrityError):
        store.get("s1")
    assert store.get("s2").document["customer_id"] == "C-2002"


def test_a_garbled_document_is_detected(store: SessionStore, database_url: str) -> None:
    new_session(store)
    raw(
        database_url,
        "UPDATE sessions SET document = :junk WHERE id = 's1'",
        junk=b"gAAAAA-not-fernet",
    )
    with pytest.raises(SessionIntegrityError):
        store.get("s1")


def test_quarantine_takes_a_session_out_of_service(store: SessionStore, database_url: str) -> None:
    new_session(store)
    raw(database_url, "UPDATE sessions SET state = 'planning' WHERE id = 's1'")
    store.quarantine("s1", NewEscalation("e1", "integrity", {"session_id": "s1"}))
    store.quarantine("s1", NewEscalation("e2", "integrity", {"session_id": "s1"}))
    assert store.ids_in_states(["planning", "received"]) == []
    [escalation] = store.escalations("open")
    assert escalation.reason_code == "integrity"
    with pytest.raises(SessionIntegrityError):
        store.get("s1")


def test_optimistic_concurrency_refuses_a_stale_write(store: SessionStore) -> None:
    stored, _ = new_session(store)
    first = store.get("s1")
    second = store.get("s1")
    store.save(first, "analyzing", {**first.document, "step": 1}, actor="coordinator")
    with pytest.raises(ConcurrencyConflict):
        store.save(second, "cancelled", second.document, actor="customer")
    current = store.get("s1")
    assert (current.state, current.version, current.document["step"]) == ("analyzing", 2, 1)


def test_events_are_numbered_per_session_and_record_transitions(store: SessionStore) -> None:
    stored, _ = new_session(store)
    new_session(store, "s2")
    stored = store.save(stored, "analyzing", stored.document, actor="coordinator")
    stored = store.save(
        stored,
        "analyzing",
        stored.document,
        actor="context_agent",
        events=[NewEvent("agent_call", "context_agent")],
    )
    history = store.events("s1")
    assert [(e.seq, e.type, e.actor) for e in history] == [
        (1, "session_created", "customer"),
        (2, "state_changed", "coordinator"),
        (3, "agent_call", "context_agent"),
    ]
    assert history[1].detail == {"from": "received", "to": "analyzing"}
    assert [e.seq for e in store.events("s1", after=2)] == [3]
    assert [e.seq for e in store.events("s2")] == [1]


def test_tokens_are_checked_and_expire_after_a_day_idle(store: SessionStore, clock: Clock) -> None:
    _, token = new_session(store, "s1")
    _, other = new_session(store, "s2")
    store.authenticate("s1", token)
    with pytest.raises(TokenInvalid):
        store.authenticate("s1", token + "x")
    with pytest.raises(TokenForOtherSession):
        store.authenticate("s1", other)
    with pytest.raises(SessionNotFound):
        store.authenticate("no-such-session", other)
    stored = store.save(store.get("s1"), "resolved", {}, actor="coordinator")
    clock.now += 23 * 3600
    store.authenticate("s1", token)  # use keeps it alive
    clock.now += 23 * 3600
    store.authenticate("s1", token)
    clock.now += 25 * 3600
    with pytest.raises(TokenExpired):
        store.authenticate(stored.id, token)


def test_a_token_lasts_while_its_case_waits_for_the_customer(
    store: SessionStore, clock: Clock
) -> None:
    """A case may wait a week for its customer: the customer's token must still open it."""
    stored, token = new_session(store, "s1")
    stored = store.save(stored, "awaiting_outcome_approval", {}, actor="coordinator")
    clock.now += 6 * DAY
    store.authenticate("s1", token)
    store.save(stored, "expired", {}, actor="watchdog")
    clock.now += DAY - 60
    store.authenticate("s1", token)  # a day after its last use
    clock.now += DAY + 60
    with pytest.raises(TokenExpired):
        store.authenticate("s1", token)


def test_archived_sessions_are_purged_after_90_days(store: SessionStore, clock: Clock) -> None:
    done, _ = new_session(store, "done")
    active, _ = new_session(store, "active")
    store.save(done, "resolved", done.document, actor="negotiation_agent")
    store.rate("done", 5, None)
    clock.now += 89 * DAY
    assert store.purge_archived() == 0
    clock.now += 2 * DAY
    assert store.purge_archived() == 1
    with pytest.raises(SessionNotFound):
        store.get("done")
    assert store.events("done") == []
    assert store.rating("done") is None
    assert store.get("active").state == "received"
    assert store.count_by_state() == {"received": 1}


def test_purge_keeps_open_escalations_and_quarantined_sessions(
    store: SessionStore, clock: Clock
) -> None:
    """They wait for a person: kept until closed, then for the retention period."""
    escalated, _ = new_session(store, "escalated")
    escalation = NewEscalation("e1", "stuck", {"reason": "no progress"})
    store.save(escalated, "escalated", escalated.document, actor="watchdog", escalation=escalation)
    new_session(store, "corrupt")
    store.quarantine("corrupt", NewEscalation("e2", "integrity", {"reason": "bad checksum"}))
    clock.now += 100 * DAY
    assert store.purge_archived() == 0
    assert store.get("escalated").state == "escalated"
    assert store.exists("corrupt")
    store.resolve_escalation("e1", {"note": "refunded by hand"})
    store.resolve_escalation("e2", {"note": "checked"})
    clock.now += 89 * DAY
    assert store.purge_archived() == 0
    clock.now += 2 * DAY
    assert store.purge_archived() == 2
    assert not store.exists("escalated") and not store.exists("corrupt")


def test_a_reopened_session_is_no_longer_archived(store: SessionStore, clock: Clock) -> None:
    stored, _ = new_session(store)
    stored = store.save(stored, "escalated", stored.document, actor="coordinator")
    store.save(stored, "planning", stored.document, actor="ops")
    clock.now += 100 * DAY
    assert store.purge_archived() == 0


def test_the_store_benchmark_reports_percentiles(tmp_path: Path, capsys) -> None:
    from coordinator_agent.bench import main

    out = tmp_path / "bench.json"
    main(["--sessions", "50", "--changes", "40", "--json", str(out)])
    report = json.loads(out.read_text())
    assert report["sessions"] == 50
    assert report["write"]["p50_ms"] <= report["write"]["p99_ms"] <= report["write"]["max_ms"]


# -- leases: one coordinator instance drives a case at a time ------------------------------


def test_two_owners_cannot_hold_one_case_and_a_release_frees_it(store: SessionStore, clock) -> None:
    new_session(store)
    a = LeaseStore(store.engine, "instance-a", ttl_s=5, clock=clock)
    b = LeaseStore(store.engine, "instance-b", ttl_s=5, clock=clock)
    assert a.acquire("s1") == Taken("s1")
    assert b.acquire("s1") is None
    assert a.acquire("s1") == Taken("s1")  # the holder may take it again
    clock.now += 4  # not yet expired
    assert b.acquire("s1") is None
    assert a.renew(["s1"]) == {"s1"}
    a.release("s1")
    assert b.holder("s1") is None
    assert b.acquire("s1") == Taken("s1")
    assert a.acquire("s1") is None
    assert a.renew(["s1"]) == set()


def test_an_expired_lease_is_taken_over_and_fences_the_old_owner(
    store: SessionStore, clock
) -> None:
    stored, _ = new_session(store)
    a = LeaseStore(store.engine, "instance-a", ttl_s=5, clock=clock)
    b = LeaseStore(store.engine, "instance-b", ttl_s=5, clock=clock)
    assert a.acquire("s1") is not None
    stored = store.save(stored, "analyzing", {"step": 1}, actor="a", fence="instance-a")
    clock.now += 5.5  # a stopped renewing (it died, or stalled)
    taken = b.acquire("s1")
    assert taken == Taken("s1", "instance-a", clock.now - 5.5)
    assert a.renew(["s1"]) == set()  # a learns it lost the case
    a.release("s1")  # ... and giving it back does not free it from b
    assert b.holder("s1") == "instance-b"
    with pytest.raises(LeaseLost):  # a's late write is refused, and nothing is written
        store.save(stored, "planning", {"step": 2}, actor="a", fence="instance-a")
    assert store.get("s1").version == stored.version
    saved = store.save(stored, "planning", {"step": 2}, actor="b", fence="instance-b")
    assert saved.version == stored.version + 1


def test_only_unleased_or_expired_cases_are_claimable(store: SessionStore, clock) -> None:
    for session_id in ("free", "held", "expired"):
        new_session(store, session_id)
    a = LeaseStore(store.engine, "instance-a", ttl_s=5, clock=clock)
    b = LeaseStore(store.engine, "instance-b", ttl_s=5, clock=clock)
    assert b.claimable(["received"]) == []  # just written: its writer starts it
    assert a.acquire("held") and a.acquire("expired")
    clock.now += 3
    assert a.renew(["held", "expired"]) == {"held", "expired"}  # both renewed at +3 ...
    a.release("free")
    clock.now += 4
    assert sorted(b.claimable(["received"])) == ["free"]
    clock.now += 2  # ... and a fell silent: both run out at +8
    assert sorted(b.claimable(["received"])) == ["expired", "free", "held"]
    assert b.claimable(["negotiating"]) == []


def test_of_many_instances_racing_for_a_case_exactly_one_wins(store: SessionStore) -> None:
    new_session(store)
    owners = [LeaseStore(store.engine, f"instance-{n}", ttl_s=30) for n in range(8)]
    start = threading.Barrier(len(owners))

    def race(owner: LeaseStore) -> bool:
        start.wait()
        for _ in range(20):
            try:
                return owner.acquire("s1") is not None
            except OperationalError:  # SQLite: "database is locked" past its busy timeout
                time.sleep(0.01)
        raise AssertionError("never got an answer")

    with ThreadPoolExecutor(len(owners)) as pool:
        won = list(pool.map(race, owners))
    assert won.count(True) == 1
    assert owners[won.index(True)].holder("s1") == f"instance-{won.index(True)}"


def test_an_outbox_item_is_claimed_by_one_instance_at_a_time(store: SessionStore, clock) -> None:
    stored, _ = new_session(store)
    owed = OutboxItem("farewell", {"contact_id": "c-1"})
    store.save(stored, "cancelled", {"step": 1}, actor="customer", owed=owed)
    [due] = store.outbox_due()
    assert store.outbox_claim(due.id, until=clock.now + 60)
    assert not store.outbox_claim(due.id, until=clock.now + 60)  # the other instance
    assert store.outbox_due() == []
    clock.now += 61  # the claimer died without delivering: due again
    assert store.outbox_claim(due.id, until=clock.now + 60)
    store.outbox_done(due.id, "closed")
    clock.now += 61
    assert not store.outbox_claim(due.id, until=clock.now + 60)


def test_a_lease_its_owner_no_longer_tracks_is_not_renewed(store: SessionStore, clock) -> None:
    """A lease left behind (a release that failed) runs out instead of blocking the case."""
    new_session(store, "tracked")
    new_session(store, "orphan")
    a = LeaseStore(store.engine, "instance-a", ttl_s=5, clock=clock)
    b = LeaseStore(store.engine, "instance-b", ttl_s=5, clock=clock)
    assert a.acquire("tracked") and a.acquire("orphan")
    clock.now += 4
    assert a.renew(["tracked"]) == {"tracked"}
    clock.now += 2
    assert b.claimable(["received"]) == ["orphan"]
    assert b.acquire("orphan") == Taken("orphan", "instance-a", clock.now - 6)
