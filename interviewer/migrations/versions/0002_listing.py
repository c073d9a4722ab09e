"""Listing columns and indexes for `GET /v1/interviews` (filters and keyset pagination).

`sessions` gains what recruiters filter on (status, score, needs_review, flagged, finished_at);
`session_tags` holds the multi-valued ones (company, topic, difficulty). Existing rows are filled
in from their state.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LISTING = ("status", "score", "needs_review", "flagged", "finished_at")

INDEXES = [
    ("sessions_org_list", "sessions", ["org_id", "created_at", "session_id"]),
    ("sessions_org_status", "sessions", ["org_id", "status", "created_at", "session_id"]),
    ("sessions_org_review", "sessions", ["org_id", "needs_review", "created_at", "session_id"]),
    ("sessions_org_flagged", "sessions", ["org_id", "flagged", "created_at", "session_id"]),
    ("sessions_org_score", "sessions", ["org_id", "score"]),
    ("sessions_org_finished", "sessions", ["org_id", "finished_at"]),
    ("sessions_created", "sessions", ["created_at"]),
    ("session_tags_lookup", "session_tags", ["org_id", "kind", "value", "created_at", "session_id"]),
    ("session_meta_candidate", "session_meta", ["org_id", "candidate_ref"]),
]


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("status", sa.Text))
        batch.add_column(sa.Column("score", sa.Integer))
        batch.add_column(sa.Column("needs_review", sa.Boolean))
        batch.add_column(sa.Column("flagged", sa.Boolean))
        batch.add_column(sa.Column("finished_at", sa.Double))
    op.create_table(
        "session_tags",
        sa.Column("session_id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, primary_key=True),
        sa.Column("org_id", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
    )
    op.drop_index("sessions_org_created", "sessions")
    for name, table, cols in INDEXES:
        op.create_index(name, table, cols)
    _backfill()


def _backfill() -> None:
    from interviewer.service.listing import listing_fields

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT session_id, org_id, created_at, state FROM sessions")).fetchall()
    for sid, org, created, state in rows:
        fields = listing_fields(json.loads(state))
        if fields is None:
            continue
        bind.execute(sa.text(
            "UPDATE sessions SET status=:status, score=:score, needs_review=:nr, flagged=:fl,"
            " finished_at=:fin WHERE session_id=:sid"),
            {"status": fields.status, "score": fields.score, "nr": fields.needs_review,
             "fl": fields.flagged, "fin": fields.finished_at, "sid": sid})
        for kind, value in fields.tags():
            bind.execute(sa.text(
                "INSERT INTO session_tags (session_id, kind, value, org_id, created_at)"
                " VALUES (:sid, :kind, :value, :org, :created)"),
                {"sid": sid, "kind": kind, "value": value, "org": org, "created": created})


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table)
    op.create_index("sessions_org_created", "sessions", ["org_id", "created_at"])
    op.drop_table("session_tags")
    with op.batch_alter_table("sessions") as batch:
        for col in LISTING:
            batch.drop_column(col)
