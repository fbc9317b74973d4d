"""Case leases: which coordinator instance drives a case, when several share one database.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_leases",
        sa.Column("session_id", sa.String(36), primary_key=True),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("renewed_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_case_leases_owner", "case_leases", ["owner"])
    op.create_index("ix_case_leases_expires_at", "case_leases", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_case_leases_expires_at", table_name="case_leases")
    op.drop_index("ix_case_leases_owner", table_name="case_leases")
    op.drop_table("case_leases")
