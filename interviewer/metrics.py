"""Prometheus metrics, named with dots in logs and underscores here."""

from __future__ import annotations

import asyncio
import logging
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

SESSIONS_ACTIVE = Gauge(
    "interviewer_sessions_active", "Sessions with a live socket on this instance", registry=REGISTRY)
GRADES = Counter(
    "interviewer_grades_total", "Grades produced", ["judge", "outcome"], registry=REGISTRY)
JUDGE_LATENCY = Histogram(
    "interviewer_judge_latency_seconds", "Time to grade one answer", ["judge"], registry=REGISTRY,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
WS_MESSAGES = Counter(
    "interviewer_ws_messages_total", "Websocket messages", ["direction", "type"], registry=REGISTRY)
ERRORS = Counter(
    "interviewer_errors_total", "Errors returned to clients", ["code"], registry=REGISTRY)
WEBHOOK_BACKLOG = Gauge(
    "interviewer_webhook_backlog", "Webhook deliveries waiting in the outbox (all instances)",
    registry=REGISTRY)
WEBHOOK_DROPPED = Counter(
    "interviewer_webhook_dropped_total", "Webhook events dropped (outbox full or store down)",
    registry=REGISTRY)

LOOP_LAG = Histogram(
    "interviewer_event_loop_lag_seconds",
    "How late the event loop ran a timer (time the loop could not serve sockets)", registry=REGISTRY,
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20))
LOOP_LAG_MAX = Gauge(
    "interviewer_event_loop_lag_max_seconds", "Largest event-loop lag seen since start",
    registry=REGISTRY)

log = logging.getLogger("interviewer.metrics")


async def watch_loop_lag(interval: float = 0.25, warn_after: float = 1.0) -> None:
    """Observe how late a periodic timer fires: a busy or blocked loop delays every socket."""
    worst = 0.0
    while True:
        t = time.perf_counter()
        await asyncio.sleep(interval)
        lag = max(0.0, time.perf_counter() - t - interval)
        LOOP_LAG.observe(lag)
        if lag > worst:
            worst = lag
            LOOP_LAG_MAX.set(lag)
        if lag > warn_after:
            log.warning("loop.lag", extra={"lag_s": round(lag, 3)})


def render() -> bytes:
    """The text exposition format of every metric."""
    return generate_latest(REGISTRY)
