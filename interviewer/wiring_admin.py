"""Composition of the administration adapters: the AdminStore, the webhook dispatcher, the limiter."""

from __future__ import annotations

from interviewer.core.ports import AdminStore
from interviewer.service.container import Services
from interviewer.service.webhooks import WebhookDispatcher
from interviewer.settings import Settings


def build_admin_store(settings: Settings) -> AdminStore:
    """Where the sessions are: Postgres, Redis (so every instance sees the same keys), or SQLite."""
    if settings.store_kind == "postgres":
        from interviewer.adapters.store.admin_postgres import PostgresAdminStore
        from interviewer.wiring import _postgres_url

        return PostgresAdminStore(_postgres_url(settings))
    if settings.store_kind == "redis":
        from interviewer.adapters.store.admin_redis import RedisAdminStore

        assert settings.redis_url, "INTERVIEWER_REDIS_URL is required for the redis store"
        return RedisAdminStore.from_url(settings.redis_url)
    from interviewer.adapters.store.admin_sqlite import SqliteAdminStore

    return SqliteAdminStore(settings.sqlite_paths[1])


def build_dispatcher(settings: Settings, admin: AdminStore) -> WebhookDispatcher:
    return WebhookDispatcher(
        admin, timeout=settings.webhook_timeout, max_attempts=settings.webhook_max_attempts,
        backoff_base=settings.webhook_backoff_base, backoff_max=settings.webhook_backoff_max,
        allow_private=settings.webhook_allow_private, backlog_max=settings.webhook_backlog_max,
    )


def ensure_admin(svc: Services) -> None:
    """Fill in the admin store and dispatcher of a Services built without them."""
    if svc.admin is None:
        svc.admin = build_admin_store(svc.settings)
    if svc.webhooks is None:
        svc.webhooks = build_dispatcher(svc.settings, svc.admin)
