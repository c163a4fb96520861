"""`GET /metrics`: Prometheus text format; no token, no personal data, no account ids."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from leadstate import metrics
from leadstate.application.bootstrap import Leadstate

router = APIRouter(tags=["Health"])


@router.get(
    "/metrics",
    operation_id="metrics",
    summary="Prometheus metrics",
    response_class=Response,
    include_in_schema=False,  # for Prometheus, not API clients (like the UI's routes)
)
async def get_metrics(request: Request) -> Response:
    """HTTP requests and latencies per route template, events appended per type (this
    process), and from the shared database: projection positions and lag, bulk jobs and
    their leads, the export outbox and stored idempotency records."""
    app = getattr(request.state, "leadstate", None)
    figures = None
    if isinstance(app, Leadstate):
        figures = await run_in_threadpool(_figures, app)
    return Response(content=metrics.render(figures), media_type=metrics.CONTENT_TYPE)


def _figures(leadstate: Leadstate) -> dict[str, Any]:
    return {
        **leadstate.read_models.figures(),
        "outbox": leadstate.outbox.by_status(),
        "idempotency": leadstate.idempotency.count(),
    }
