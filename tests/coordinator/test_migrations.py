"""Schema migrations (Alembic) on both databases: the schema the store expects, applied once,
safe to run concurrently, and stores made before migrations existed are adopted."""

from __future__ import annotations

import os
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from coordinator_agent.migrations import current, upgrade
from coordinator_agent.store import make_engine, metadata

HEAD = "0004"  # the newest revision
# the tables of the initial revision: what a store made before migrations holds
BEFORE = {"sessions", "events", "tokens", "escalations", "outbox", "idempotency_keys", "ratings"}


def schema_differences(url: str) -> list:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    return found


def test_migrations_build_exactly_the_schema_the_store_uses(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current(engine) is None
    assert upgrade(engine) == HEAD
    assert upgrade(engine) == HEAD  # again: nothing to do
    engine.dispose()
    assert schema_differences(database_url) == []


def test_a_store_made_before_migrations_is_adopted(database_url: str) -> None:
    engine = make_engine(database_url)
    # what the coordinator did before Alembic: the tables of the initial revision
    metadata.create_all(engine, tables=[t for t in metadata.sorted_tables if t.name in BEFORE])
    assert upgrade(engine) == HEAD
    assert "alembic_version" in inspect(engine).get_table_names()
    engine.dispose()


def csn_migrate(database_url: str, tmp_path) -> subprocess.Popen[str]:
    env = {**os.environ, "CSN_DATABASE_URL": database_url, "CSN_VAR_DIR": str(tmp_path)}
    return subprocess.Popen(
        [sys.executable, "-m", "csn", "migrate"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_coordinators_starting_together_migrate_once(postgres_server, tmp_path) -> None:
    """Several processes on one PostgreSQL database: the advisory lock makes them take turns."""
    url = postgres_server.database()
    processes = [csn_migrate(url, tmp_path) for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], [err for _, err in outputs]
    assert schema_differences(url) == []


def test_csn_migrate_brings_the_configured_database_to_head(database_url: str, tmp_path) -> None:
    stdout, stderr = csn_migrate(database_url, tmp_path).communicate(timeout=120)
    assert f"schema at revision {HEAD}" in stdout, stderr
    assert "@" not in stdout  # no credentials in the output
    assert schema_differences(database_url) == []
