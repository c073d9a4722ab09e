"""Prometheus metrics, named with dots in logs and underscores here."""

from __future__ import annotations

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


def render() -> bytes:
    """The text exposition format of every metric."""
    return generate_latest(REGISTRY)
