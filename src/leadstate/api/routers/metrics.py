"""`GET /metrics`: Prometheus text format; no token, no personal data, no account ids."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from leadstate import metrics
from leadstate.application import LeadstateApp

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
    leadstate = app if isinstance(app, LeadstateApp) else None
    text = await run_in_threadpool(metrics.render, leadstate)
    return Response(content=text, media_type=metrics.CONTENT_TYPE)
