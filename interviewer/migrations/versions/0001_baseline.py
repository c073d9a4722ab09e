"""Baseline: the tables as interviewer created them before migrations (`CREATE TABLE IF NOT EXISTS`).

A file made by that code is adopted: only the missing tables, indexes and triggers are created,
so its rows stay as they are; a new database gets everything.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _tables() -> list[tuple[str, list[sa.Column[Any]], dict[str, Any]]]:
    C = sa.Column
    return [
        ("sessions", [
            C("session_id", sa.Text, primary_key=True), C("org_id", sa.Text, nullable=False),
            C("state", sa.Text, nullable=False), C("last_seq", BigInt, nullable=False),
            C("resume_token_hash", sa.Text, nullable=False), C("created_at", sa.Double, nullable=False),
            C("updated_at", sa.Double, nullable=False),
            C("phase", sa.Text, nullable=False, server_default="asking"), C("owner", sa.Text)], {}),
        ("messages", [
            C("session_id", sa.Text, primary_key=True), C("seq", BigInt, primary_key=True),
            C("body", sa.Text, nullable=False)], {"sqlite_with_rowid": False}),
        ("api_keys", [
            C("key_id", sa.Text, primary_key=True), C("org_id", sa.Text, nullable=False),
            C("role", sa.Text, nullable=False), C("key_hash", sa.Text, nullable=False),
            C("created_at", sa.Double, nullable=False), C("name", sa.Text, nullable=False),
            C("last_used_at", sa.Double), C("revoked_at", sa.Double)], {}),
        ("audit", [
            C("n", BigInt, primary_key=True, autoincrement=True),
            C("entry_id", sa.Text, unique=True, nullable=False), C("session_id", sa.Text, nullable=False),
            C("org_id", sa.Text, nullable=False), C("at", sa.Double, nullable=False),
            C("actor", sa.Text, nullable=False), C("action", sa.Text, nullable=False),
            C("question_id", sa.Text, nullable=False), C("reason", sa.Text, nullable=False),
            C("before", sa.Text, nullable=False), C("after", sa.Text, nullable=False),
            C("criterion_id", sa.Text)], {"sqlite_autoincrement": True}),
        ("webhooks", [
            C("webhook_id", sa.Text, primary_key=True), C("org_id", sa.Text, nullable=False),
            C("url", sa.Text, nullable=False), C("events", sa.Text, nullable=False),
            C("secret", sa.Text, nullable=False), C("created_at", sa.Double, nullable=False),
            C("active", sa.Integer, nullable=False)], {}),
        ("deliveries", [
            C("delivery_id", sa.Text, primary_key=True), C("webhook_id", sa.Text, nullable=False),
            C("org_id", sa.Text, nullable=False), C("event_id", sa.Text, nullable=False),
            C("event_type", sa.Text, nullable=False), C("status", sa.Text, nullable=False),
            C("attempts", sa.Integer, nullable=False), C("created_at", sa.Double, nullable=False),
            C("updated_at", sa.Double, nullable=False), C("last_status_code", sa.Integer),
            C("last_error", sa.Text, nullable=False)], {}),
        ("idempotency", [
            C("scope", sa.Text, primary_key=True), C("key", sa.Text, primary_key=True),
            C("request_hash", sa.Text, nullable=False), C("done", sa.Integer, nullable=False),
            C("status_code", sa.Integer, nullable=False), C("body", sa.Text, nullable=False),
            C("expires_at", sa.Double, nullable=False)], {}),
        ("session_meta", [
            C("session_id", sa.Text, primary_key=True), C("org_id", sa.Text, nullable=False),
            C("created_at", sa.Double, nullable=False), C("candidate_ref", sa.Text),
            C("created_by", sa.Text)], {}),
        ("org_questions", [
            C("org_id", sa.Text, primary_key=True), C("question_id", sa.Text, primary_key=True),
            C("doc", sa.Text, nullable=False)], {}),
    ]


INDEXES = [
    ("sessions_org_created", "sessions", ["org_id", "created_at"]),
    ("audit_session", "audit", ["session_id", "n"]),
    ("deliveries_hook", "deliveries", ["webhook_id", "created_at"]),
]

PG_AUDIT_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit
FOR EACH ROW EXECUTE FUNCTION audit_append_only();
"""


def upgrade() -> None:
    bind = op.get_bind()
    have = set(sa.inspect(bind).get_table_names())
    for name, columns, kw in _tables():
        if name not in have:
            op.create_table(name, *columns, **kw)
    for name, table, cols in INDEXES:
        op.create_index(name, table, cols, if_not_exists=True)
    if bind.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER IF NOT EXISTS audit_no_{verb.lower()} BEFORE {verb} ON audit "
                       "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
    elif "audit" not in have:
        op.execute(PG_AUDIT_APPEND_ONLY)


def downgrade() -> None:
    for name, _, _ in reversed(_tables()):
        op.drop_table(name)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
