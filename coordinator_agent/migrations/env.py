"""Alembic's environment: migrate the engine handed over by `coordinator_agent.migrations`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from coordinator_agent.store import metadata

# Any number to name the lock: several coordinators starting together on one PostgreSQL
# database take turns, and the later ones find the schema already at head.
MIGRATION_LOCK = 4_130_213


def run_migrations() -> None:
    """Online migrations only: there is always an engine (offline SQL scripts are not used)."""
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # ALTER TABLE on SQLite
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
            context.run_migrations()


run_migrations()
