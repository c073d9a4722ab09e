"""Webhook events owed by a session's commit (the transactional outbox's relay queue).

Revision ID: 0004
Revises: 0003
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
        "owed_events",
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("session_id", sa.Text, nullable=False),
        sa.Column("org_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("due_at", sa.Double, nullable=False),
    )
    op.create_index("owed_events_due", "owed_events", ["due_at"])


def downgrade() -> None:
    op.drop_index("owed_events_due", "owed_events")
    op.drop_table("owed_events")
