"""Customer accounts: accounts, their sign-in tokens, retailer links, the cases they own and
the throttles' counted attempts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(36)
HASH = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", ID, primary_key=True),
        sa.Column("email_hash", HASH, nullable=False, unique=True),
        sa.Column("email", sa.LargeBinary(), nullable=False),
        sa.Column("name", sa.LargeBinary(), nullable=True),
        sa.Column("password", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "account_tokens",
        sa.Column("token_hash", HASH, primary_key=True),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_account_tokens_account_id", "account_tokens", ["account_id"])
    op.create_index("ix_account_tokens_expires_at", "account_tokens", ["expires_at"])
    op.create_table(
        "account_links",
        sa.Column("account_id", ID, primary_key=True),
        sa.Column("customer_hash", HASH, primary_key=True),
        sa.Column("customer_id", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "account_sessions",
        sa.Column("session_id", ID, primary_key=True),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_account_sessions_account_id", "account_sessions", ["account_id"])
    op.create_index("ix_account_sessions_created_at", "account_sessions", ["created_at"])
    op.create_table(
        "throttle_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key_hash", HASH, nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
    )
    op.create_index("ix_throttle_events_key_hash", "throttle_events", ["key_hash"])
    op.create_index("ix_throttle_events_at", "throttle_events", ["at"])


def downgrade() -> None:
    for table in (
        "throttle_events",
        "account_sessions",
        "account_links",
        "account_tokens",
        "accounts",
    ):
        op.drop_table(table)
