"""The webhook outbox and the instances' heartbeats (orphaned-work sweeper).

Files made by the `CREATE TABLE IF NOT EXISTS` code that first added them already have them:
only what is missing is created.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    have = set(sa.inspect(op.get_bind()).get_table_names())
    if "instances" not in have:
        op.create_table(
            "instances",
            sa.Column("instance", sa.Text, primary_key=True),
            sa.Column("expires_at", sa.Double, nullable=False),
        )
    if "outbox" not in have:
        op.create_table(
            "outbox",
            sa.Column("seq", BigInt, primary_key=True, autoincrement=True),
            sa.Column("delivery_id", sa.Text, unique=True, nullable=False),
            sa.Column("webhook_id", sa.Text, nullable=False),
            sa.Column("body", sa.Text, nullable=False),
            sa.Column("created_at", sa.Double, nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("due_at", sa.Double, nullable=False),
            sqlite_autoincrement=True,
        )
    op.create_index("outbox_hook", "outbox", ["webhook_id", "seq"], if_not_exists=True)
    op.create_index("sessions_phase", "sessions", ["phase"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("sessions_phase", "sessions")
    op.drop_table("outbox")
    op.drop_table("instances")
