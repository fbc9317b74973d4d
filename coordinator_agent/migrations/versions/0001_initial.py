"""The initial schema: sessions, events, tokens, escalations, outbox, idempotency keys, ratings.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(36)
HASH = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", ID, primary_key=True),
        sa.Column("customer_hash", HASH, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("checksum", HASH, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("completed_at", sa.Float(), nullable=True),
        sa.Column("archived_at", sa.Float(), nullable=True),
        sa.Column("quarantined", sa.Integer(), nullable=False),
    )
    op.create_index("ix_sessions_customer_hash", "sessions", ["customer_hash"])
    op.create_index("ix_sessions_state", "sessions", ["state"])
    op.create_index("ix_sessions_archived_at", "sessions", ["archived_at"])

    op.create_table(
        "events",
        sa.Column("session_id", ID, primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(40), nullable=False),
        sa.Column("detail", sa.LargeBinary(), nullable=False),
    )

    op.create_table(
        "tokens",
        sa.Column("token_hash", HASH, primary_key=True),
        sa.Column("session_id", ID, nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("last_used_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_tokens_session_id", "tokens", ["session_id"])

    op.create_table(
        "escalations",
        sa.Column("id", ID, primary_key=True),
        sa.Column("session_id", ID, nullable=False),
        sa.Column("reason_code", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("resolved_at", sa.Float(), nullable=True),
        sa.Column("context", sa.LargeBinary(), nullable=False),
        sa.Column("resolution", sa.LargeBinary(), nullable=True),
    )
    op.create_index("ix_escalations_session_id", "escalations", ["session_id"])
    op.create_index("ix_escalations_status", "escalations", ["status"])

    op.create_table(
        "outbox",
        sa.Column("id", ID, primary_key=True),
        sa.Column("session_id", ID, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("request", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.Float(), nullable=True),
        sa.Column("result", sa.String(200), nullable=True),
    )
    op.create_index("ix_outbox_session_id", "outbox", ["session_id"])
    op.create_index("ix_outbox_due_at", "outbox", ["due_at"])
    op.create_index("ix_outbox_done_at", "outbox", ["done_at"])

    op.create_table(
        "idempotency_keys",
        sa.Column("key_hash", HASH, primary_key=True),
        sa.Column("session_id", ID, nullable=False),
        sa.Column("body_hash", HASH, nullable=False),
        sa.Column("token", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_idempotency_keys_session_id", "idempotency_keys", ["session_id"])

    op.create_table(
        "ratings",
        sa.Column("session_id", ID, primary_key=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.LargeBinary(), nullable=True),
        sa.Column("at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    for table in ("ratings", "idempotency_keys", "outbox", "escalations", "tokens", "events"):
        op.drop_table(table)
    op.drop_table("sessions")
