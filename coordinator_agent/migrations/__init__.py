"""The coordinator's schema migrations (Alembic), applied at start-up and by `csn migrate`.

One revision per schema change under `versions/`; a new table or column is a new revision
(`alembic revision` with `script_location` pointing here), never an edit of an old one.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

HERE = Path(__file__).parent
INITIAL_REVISION = "0001"


def config(engine: Engine) -> Config:
    """An Alembic configuration over `engine`, with the migrations shipped in this package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> str | None:
    """Bring the database to the newest revision; returns the revision it is at.

    A database made before migrations existed (tables, no `alembic_version`) is stamped
    with the initial revision first, since it already has that schema.
    """
    cfg = config(engine)
    tables = set(inspect(engine).get_table_names())
    if "sessions" in tables and "alembic_version" not in tables:
        command.stamp(cfg, INITIAL_REVISION)
    command.upgrade(cfg, "head")
    return current(engine)


def current(engine: Engine) -> str | None:
    """The revision the database is at (None before the first migration)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
