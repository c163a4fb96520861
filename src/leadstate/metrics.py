"""Prometheus metrics (SPEC §6 `GET /metrics`): no personal data, no account ids.

Process-level series live in `REGISTRY` and are updated where things happen (HTTP
requests by `leadstate.api.observability`, events by `LeadstateApp.save`). Series read
from the database (projection positions and lag, jobs, the outbox, idempotency records)
are computed at each scrape by `database_metrics`, so every process reports the shared
state the same way.
"""

from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from leadstate.persistence.base import row_value

if TYPE_CHECKING:
    from leadstate.application import LeadstateApp

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


def _table_exists(app: LeadstateApp, table: str) -> bool:
    store = app.store
    with store.read() as cur:
        if store.ph == "%s":
            cur.execute("SELECT to_regclass(%s) AS t", (store.qualify(table),))
            return row_value(cur.fetchone(), 0, "t") is not None
        cur.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
        return cur.fetchone() is not None


def database_metrics(app: LeadstateApp) -> bytes:
    """The series read from the shared database, in the text format."""
    registry = CollectorRegistry(auto_describe=True)
    store = app.store
    head = store.max_position()
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
    with store.read() as cur:
        cur.execute(f"SELECT name, position FROM {store.qualify('ls_projections')}")
        for row in cur.fetchall():
            name = str(row_value(row, 0, "name"))
            at = int(row_value(row, 1, "position") or 0)
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
    jobs_table = app.tables.get("jobs")
    if jobs_table is not None:
        with store.read() as cur:
            cur.execute(
                "SELECT status, COUNT(*) AS n, COALESCE(SUM(processed), 0) AS p, "
                f"COALESCE(SUM(total), 0) AS t FROM {store.qualify(jobs_table)} GROUP BY status"
            )
            for row in cur.fetchall():
                status = str(row_value(row, 0, "status"))
                jobs.labels(status).set(int(row_value(row, 1, "n")))
                processed.labels(status).set(int(row_value(row, 2, "p")))
                targeted.labels(status).set(int(row_value(row, 3, "t")))

    # The export outbox is another module's table: reported when it exists.
    if _table_exists(app, "ls_outbox"):
        depth = Gauge(
            "leadstate_outbox_depth", "Export emails waiting to be sent.", registry=registry
        )
        messages = Gauge(
            "leadstate_outbox_messages", "Export emails by status.", ("status",), registry=registry
        )
        pending = 0
        with store.read() as cur:
            cur.execute(
                f"SELECT status, COUNT(*) AS n FROM {store.qualify('ls_outbox')} GROUP BY status"
            )
            for row in cur.fetchall():
                status = str(row_value(row, 0, "status"))
                n = int(row_value(row, 1, "n"))
                messages.labels(status).set(n)
                if status == "pending":
                    pending += n
        depth.set(pending)

    idempotency = getattr(app, "idempotency", None)
    if idempotency is not None:
        Gauge(
            "leadstate_idempotency_records",
            "Stored Idempotency-Key records (24 hours each).",
            registry=registry,
        ).set(idempotency.count())
    return generate_latest(registry)


def render(app: LeadstateApp | None) -> bytes:
    """Every series: this process's, then the database's (when the app is open)."""
    text = generate_latest(REGISTRY)
    if app is not None:
        text += database_metrics(app)
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
