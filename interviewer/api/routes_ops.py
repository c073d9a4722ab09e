"""Operations routes: Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from interviewer import metrics

router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def prometheus_metrics() -> Response:
    """Prometheus text format: sessions, grades by judge and outcome, judge latency, messages, errors."""
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
