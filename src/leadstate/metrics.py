"""Prometheus metrics (SPEC §6 `GET /metrics`): no personal data, no account ids.

Process-level series live in `REGISTRY` and are updated where things happen (HTTP
requests by `leadstate.api.observability`, events by the application's save). Series read
from the database (projection positions and lag, jobs, the outbox, idempotency records)
are rendered at each scrape from the figures the API gathers, so every process reports
the shared state the same way.
"""

from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

log = logging.getLogger("leadstate.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

disable_created_metrics()  # type: ignore[no-untyped-call]  # no `*_created` series
REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "leadstate_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ("method", "route", "status"),
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "leadstate_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ("method", "route"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
EVENTS_APPENDED = Counter(
    "leadstate_events_appended",
    "Domain events appended to the log by this process, by event type.",
    ("type",),
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "leadstate_rate_limited_requests",
    "Requests refused with 429 by the per-account rate limit.",
    registry=REGISTRY,
)
IDEMPOTENT_REPLAYS = Counter(
    "leadstate_idempotent_replays",
    "Responses replayed from a stored Idempotency-Key record.",
    registry=REGISTRY,
)


def count_events(events: Iterable[Any]) -> None:
    """Count appended events by type (`Lead.Passed`, `BulkJob.BatchApplied`...)."""
    tally = Tally(type(event).__qualname__ for event in events)
    for name, n in tally.items():
        EVENTS_APPENDED.labels(name).inc(n)


def database_metrics(figures: Mapping[str, Any]) -> bytes:
    """The series read from the shared database, in the text format: `figures` holds
    `head`, `positions` (by read model), `jobs` (rows of status, n, p, t), `outbox` (by
    status) and `idempotency` (how many records)."""
    registry = CollectorRegistry(auto_describe=True)
    head = int(figures["head"])
    Gauge(
        "leadstate_log_position", "Notification id of the last event in the log.", registry=registry
    ).set(head)
    position = Gauge(
        "leadstate_projection_position",
        "Log position each read model has applied.",
        ("projection",),
        registry=registry,
    )
    lag = Gauge(
        "leadstate_projection_lag_events",
        "Events in the log a read model has not applied yet.",
        ("projection",),
        registry=registry,
    )
    for name, at in figures["positions"].items():
        position.labels(name).set(at)
        lag.labels(name).set(max(0, head - at))
    jobs = Gauge("leadstate_jobs", "Bulk jobs by status.", ("status",), registry=registry)
    processed = Gauge(
        "leadstate_job_leads_processed",
        "Leads processed by bulk jobs, by job status.",
        ("status",),
        registry=registry,
    )
    targeted = Gauge(
        "leadstate_job_leads_total",
        "Leads targeted by bulk jobs, by job status.",
        ("status",),
        registry=registry,
    )
    for status in ("queued", "running", "done", "failed"):
        jobs.labels(status).set(0)
    for row in figures["jobs"]:
        jobs.labels(row["status"]).set(int(row["n"]))
        processed.labels(row["status"]).set(int(row["p"]))
        targeted.labels(row["status"]).set(int(row["t"]))
    depth = Gauge("leadstate_outbox_depth", "Export emails waiting to be sent.", registry=registry)
    messages = Gauge(
        "leadstate_outbox_messages", "Export emails by status.", ("status",), registry=registry
    )
    for status, n in figures["outbox"].items():
        messages.labels(status).set(n)
    depth.set(figures["outbox"].get("pending", 0))
    Gauge(
        "leadstate_idempotency_records",
        "Stored Idempotency-Key records (24 hours each).",
        registry=registry,
    ).set(int(figures["idempotency"]))
    return generate_latest(registry)


def render(figures: Mapping[str, Any] | None) -> bytes:
    """Every series: this process's, then the database's (when it is open)."""
    text = generate_latest(REGISTRY)
    if figures is not None:
        text += database_metrics(figures)
    return text


__all__ = [
    "CONTENT_TYPE",
    "EVENTS_APPENDED",
    "HTTP_LATENCY",
    "HTTP_REQUESTS",
    "IDEMPOTENT_REPLAYS",
    "RATE_LIMITED",
    "REGISTRY",
    "count_events",
    "database_metrics",
    "render",
]
