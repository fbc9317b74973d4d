"""The coordinator on each database it supports (a SQLite file, a PostgreSQL server), and its
event loop kept free while the database makes it wait."""

from __future__ import annotations

import asyncio
import sqlite3
import time

from tests.coordinator.coordinator_fakes import (
    ORDER_ID,
    Fleet,
    account,
    auth,
    make_settings,
    running,
    submit,
    wait_for,
)


async def test_cases_run_end_to_end_on_each_database(database_url: str, tmp_path) -> None:
    fleet = Fleet()
    settings = make_settings(tmp_path, database_url=database_url)
    async with running(settings, fleet) as (app, client):
        cases = await asyncio.gather(*(submit(client, auto_approve=True) for _ in range(12)))
        for sid, token in cases:
            await wait_for(client, sid, token, {"awaiting_outcome_approval"}, timeout=30)
            answer = await client.post(
                f"/v1/sessions/{sid}/decisions", json={"decision": "approve"}, headers=auth(token)
            )
            assert answer.status_code == 200, answer.text
        for sid, token in cases:
            await wait_for(client, sid, token, {"monitoring"}, timeout=30)
        assert app.state.store.count_by_state() == {"monitoring": 12}  # CS agreed: watched
        history = await client.get(f"/v1/sessions/{sid}/events", headers=auth(token))
        assert "monitoring" in [e["type"] for e in history.json()["events"]]
    # The counterparty's record: every round of every case went to CS once, none refused.
    assert len(fleet.desk.keys) == len(set(fleet.desk.keys)) == 12 * 3  # 2 rounds + accept
    assert fleet.desk.conflicts == []


async def test_retries_with_one_key_open_one_session_on_each_database(
    database_url: str, tmp_path
) -> None:
    settings = make_settings(tmp_path, database_url=database_url)
    async with running(settings, Fleet()) as (app, client):
        body = {"customer_id": "C-1001", "message": f"My blender {ORDER_ID} arrived broken"}
        key = {"Idempotency-Key": "burst-of-retries", **await account(client)}
        answers = await asyncio.gather(
            *(client.post("/v1/sessions", json=body, headers=key) for _ in range(10))
        )
        assert {a.status_code for a in answers} == {202}
        assert len({a.json()["session_id"] for a in answers}) == 1
        assert sum(app.state.store.count_by_state().values()) == 1


async def test_the_event_loop_does_not_wait_for_a_locked_database(tmp_path) -> None:
    """While another process holds SQLite's write lock, the coordinator keeps answering: the
    write waits in a store thread, not on the event loop."""
    settings = make_settings(tmp_path)
    async with running(settings, Fleet()) as (app, client):
        await submit(client)  # the schema exists, the pool is warm
        blocker = sqlite3.connect(tmp_path / "coordinator.db", isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            create = asyncio.create_task(submit(client))
            await asyncio.sleep(0.1)
            assert not create.done()  # it waits for the lock...
            gaps, last = [], time.perf_counter()
            for _ in range(30):  # ...and the loop keeps turning meanwhile
                await asyncio.sleep(0.01)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now
            assert (await client.get("/healthz")).status_code == 200
            assert max(gaps) < 0.25, max(gaps)
            assert not create.done()
        finally:
            blocker.execute("COMMIT")
            blocker.close()
        await asyncio.wait_for(create, 10)


def test_a_dropped_postgresql_connection_fails_one_call_then_the_pool_heals(postgres_server):
    """No ping before every checkout (a round trip per store call): when the server drops the
    pooled connections, one call fails and SQLAlchemy replaces the rest of the pool."""
    import sqlalchemy

    from coordinator_agent.store import make_engine

    engine = make_engine(postgres_server.database(), pool_size=4)
    try:
        held = [engine.connect() for _ in range(4)]  # four pooled connections
        pids = [c.execute(sqlalchemy.text("select pg_backend_pid()")).scalar() for c in held]
        for conn in held:
            conn.close()
        with make_engine(postgres_server.url(), pool_size=1).connect() as admin:
            for pid in pids:
                admin.execute(sqlalchemy.text(f"select pg_terminate_backend({pid})"))
        failures = 0
        for _ in range(6):
            try:
                with engine.connect() as conn:
                    assert conn.execute(sqlalchemy.text("select 1")).scalar() == 1
            except sqlalchemy.exc.OperationalError:
                failures += 1
        assert failures == 1
    finally:
        engine.dispose()
