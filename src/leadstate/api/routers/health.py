"""Liveness and readiness probes: no token, no personal data, no account names."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from leadstate.api.deps import KeysDep
from leadstate.api.errors import ApiError
from leadstate.api.schemas import ErrorResponse, HealthStatus

log = logging.getLogger("leadstate.api")

router = APIRouter(tags=["Health"])


@router.get(
    "/healthz",
    operation_id="healthz",
    summary="Liveness",
    response_model=HealthStatus,
    responses={500: {"model": ErrorResponse, "description": "A server fault."}},
)
def healthz() -> HealthStatus:
    """`{"status": "ok"}` while the process serves requests."""
    return HealthStatus(status="ok")


@router.get(
    "/readyz",
    operation_id="readyz",
    summary="Readiness",
    response_model=HealthStatus,
    responses={503: {"model": ErrorResponse, "description": "The database does not answer."}},
)
def readyz(api_keys: KeysDep) -> HealthStatus:
    """`{"status": "ready"}` once the database answers; 503 otherwise."""
    try:
        api_keys.ready()
    except Exception as error:
        log.warning("not ready: the database does not answer: %s", type(error).__name__)
        raise ApiError(503, "the database does not answer") from error
    return HealthStatus(status="ready")
