"""The FastAPI application: built from settings; the lifespan migrates the database,
opens the service and starts the workers the settings ask for."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from leadstate.api.auth import AuthMiddleware
from leadstate.api.errors import install_error_handlers
from leadstate.api.idempotency import IdempotencyMiddleware
from leadstate.api.limits import MAX_BODY_BYTES, BodyLimitMiddleware
from leadstate.api.observability import ObservabilityMiddleware
from leadstate.api.ratelimit import RateLimitMiddleware
from leadstate.api.routers import (
    accounts,
    admin,
    audit,
    calls,
    campaigns,
    counts,
    dialable,
    exports,
    health,
    jobs,
    leads,
    loader,
    me,
    metrics,
)
from leadstate.application.bootstrap import Leadstate, migrate, open_leadstate
from leadstate.settings import Settings
from leadstate.ui import mount_ui
from leadstate.workers.start import Workers, start_workers

DESCRIPTION = """\
Event-sourced lead state, wire-compatible with the lead endpoints of RingCentral Engage
Voice (paths under `/voice/api/v1/admin/accounts/{accountId}`), plus extensions.

Authenticate with `Authorization: Bearer <API key>` (`leadstate keys create`), or the
vendor's legacy `X-Auth-Token: <API key>`. Errors are
`{"error": {"code": ..., "message": ...}}`.
"""

TAGS = [
    {"name": "Leads", "description": "Load, search, act on and edit an account's leads."},
    {"name": "Campaigns", "description": "Campaign pass settings."},
    {"name": "Jobs", "description": "Bulk actions running in the background."},
    {"name": "Audit", "description": "A lead's events and the lead as of any moment."},
    {"name": "Keys", "description": "The calling API key."},
    {"name": "Admin", "description": "Read models: status, lag and blue/green rebuilds."},
    {"name": "Health", "description": "Probes for load balancers and orchestrators."},
]


def _version() -> str:
    try:
        return version("leadstate")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.0.0"


def create_app(
    settings: Settings | None = None,
    on_start: Callable[[Leadstate], None] | None = None,
    *,
    migrate_first: bool = True,
) -> FastAPI:
    """The API on `settings` (from the environment when omitted); `on_start` is called
    with the application once it is open, before the first request. Without
    `migrate_first` the database must already be migrated (`serve`'s worker processes)."""
    config = settings or Settings()

    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[dict[str, Any]]:
        if migrate_first:
            await run_in_threadpool(migrate, config)
        leadstate = (await run_in_threadpool(open_leadstate, config)).start()
        workers: Workers | None = None
        try:
            if on_start is not None:
                await run_in_threadpool(on_start, leadstate)
            workers = await run_in_threadpool(start_workers, leadstate)
            yield {"leadstate": leadstate}
        finally:
            if workers is not None:
                await run_in_threadpool(workers.stop)
            await run_in_threadpool(leadstate.close)

    api = FastAPI(
        title="leadstate",
        version=_version(),
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    # Added last runs first: ids/logs/metrics/headers, auth, rate limit, body, idempotency.
    api.add_middleware(IdempotencyMiddleware)
    api.add_middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    api.add_middleware(RateLimitMiddleware)
    api.add_middleware(AuthMiddleware)
    api.add_middleware(ObservabilityMiddleware)
    install_error_handlers(api)
    # Fixed paths (leadStates, actions) before `{leadId}`.
    for router in (
        accounts.router,
        loader.router,
        audit.router,
        leads.router,
        campaigns.router,
        jobs.router,
        calls.router,
        dialable.router,
        counts.router,
        exports.router,
        admin.router,
        me.router,
        health.router,
        metrics.router,
    ):
        api.include_router(router)
    mount_ui(api)  # the browser UI at `/` (static files under /ui/static)
    return api
