"""The one relational schema (SQLAlchemy Core), for SQLite and PostgreSQL alike.

The tables are created and changed only by the Alembic migrations in `interviewer/migrations`;
this module is what they and `interviewer db export|import` read the tables' shape from.
Times are unix seconds (double precision); JSON documents are stored as text.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# A 64-bit integer that is still SQLite's INTEGER (so an autoincrement key is its rowid).
BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

sessions = sa.Table(
    "sessions", metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("org_id", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("last_seq", BigInt, nullable=False),
    sa.Column("resume_token_hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("phase", sa.Text, nullable=False, server_default="asking"),
    sa.Column("owner", sa.Text),
    # The listing columns (revision 0002): what recruiters filter and sort on, kept by every write.
    sa.Column("status", sa.Text),
    sa.Column("score", sa.Integer),
    sa.Column("needs_review", sa.Boolean),
    sa.Column("flagged", sa.Boolean),
    sa.Column("finished_at", sa.Double),
)

messages = sa.Table(
    "messages", metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("seq", BigInt, primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
    sqlite_with_rowid=False,
)

# Multi-valued listing attributes of a session: kind is "company" | "topic" | "difficulty".
session_tags = sa.Table(
    "session_tags", metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, primary_key=True),
    sa.Column("org_id", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
)

# Live instances' heartbeats (revision 0003): a session waiting on work whose owner's instance is
# not here any more is orphaned (OrphanedWork port).
instances = sa.Table(
    "instances", metadata,
    sa.Column("instance", sa.Text, primary_key=True),
    sa.Column("expires_at", sa.Double, nullable=False),
)

# Webhook events a session's commit owes the outbox (revision 0004, OwedEvents port): written in
# the commit's transaction, deleted once the outbox has them; `due_at` is when any instance may.
owed_events = sa.Table(
    "owed_events", metadata,
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("session_id", sa.Text, nullable=False),
    sa.Column("org_id", sa.Text, nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("due_at", sa.Double, nullable=False),
)

api_keys = sa.Table(
    "api_keys", metadata,
    sa.Column("key_id", sa.Text, primary_key=True),
    sa.Column("org_id", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("key_hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("last_used_at", sa.Double),
    sa.Column("revoked_at", sa.Double),
)

audit = sa.Table(
    "audit", metadata,
    sa.Column("n", BigInt, primary_key=True, autoincrement=True),
    sa.Column("entry_id", sa.Text, unique=True, nullable=False),
    sa.Column("session_id", sa.Text, nullable=False),
    sa.Column("org_id", sa.Text, nullable=False),
    sa.Column("at", sa.Double, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("question_id", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("before", sa.Text, nullable=False),
    sa.Column("after", sa.Text, nullable=False),
    sa.Column("criterion_id", sa.Text),
    sqlite_autoincrement=True,
)

webhooks = sa.Table(
    "webhooks", metadata,
    sa.Column("webhook_id", sa.Text, primary_key=True),
    sa.Column("org_id", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("events", sa.Text, nullable=False),
    sa.Column("secret", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("active", sa.Integer, nullable=False),
)

deliveries = sa.Table(
    "deliveries", metadata,
    sa.Column("delivery_id", sa.Text, primary_key=True),
    sa.Column("webhook_id", sa.Text, nullable=False),
    sa.Column("org_id", sa.Text, nullable=False),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("last_status_code", sa.Integer),
    sa.Column("last_error", sa.Text, nullable=False),
)

# Webhook deliveries waiting to be sent (revision 0003, WebhookOutbox port).
outbox = sa.Table(
    "outbox", metadata,
    sa.Column("seq", BigInt, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", sa.Text, unique=True, nullable=False),
    sa.Column("webhook_id", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("due_at", sa.Double, nullable=False),
    sqlite_autoincrement=True,
)

idempotency = sa.Table(
    "idempotency", metadata,
    sa.Column("scope", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("request_hash", sa.Text, nullable=False),
    sa.Column("done", sa.Integer, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
)

session_meta = sa.Table(
    "session_meta", metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("org_id", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("candidate_ref", sa.Text),
    sa.Column("created_by", sa.Text),
)

org_questions = sa.Table(
    "org_questions", metadata,
    sa.Column("org_id", sa.Text, primary_key=True),
    sa.Column("question_id", sa.Text, primary_key=True),
    sa.Column("doc", sa.Text, nullable=False),
)

# Every table in an order that export/import can follow.
TABLES = (sessions, messages, session_tags, instances, owed_events, api_keys, audit, webhooks,
          deliveries, outbox, idempotency, session_meta, org_questions)
