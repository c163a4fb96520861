"""Every error as `{"error": {"code", "message"}}`: domain errors, validation, routing, 500s.

Messages never contain the word "expired": the vendor's SDK takes that word as a sign to
refresh its token and retry.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from eventsourcing.persistence import RecordConflictError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from leadstate.domain import Conflict, DomainError, InvalidRequest, NotFound

log = logging.getLogger("leadstate.api")

CODES: dict[int, str] = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

NOT_FOUND_MESSAGE = "Not Found"

_EXPIRED = re.compile(r"expired", re.IGNORECASE)


class ApiError(Exception):
    """An error the API answers with on purpose (auth, limits)."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def error_body(status: int, message: str) -> dict[str, Any]:
    """The JSON body of an error."""
    code = CODES.get(status) or HTTPStatus(status).phrase.lower().replace(" ", "_")
    return {"error": {"code": code, "message": _EXPIRED.sub("no longer valid", message)}}


def error_response(
    status: int, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """An error response."""
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)


def _location(loc: Sequence[Any]) -> str:
    parts = list(loc)
    where = str(parts.pop(0)) if parts else ""
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    if where == "body":
        return name or "request body"
    if where in ("query", "path", "header"):
        return f"{where} parameter {name}"
    return name or where or "request"


def validation_message(errors: Sequence[Any]) -> str:
    """One readable line naming each offending field (at most five)."""
    parts: list[str] = []
    for error in errors[:5]:
        kind = error.get("type")
        if kind == "json_invalid":
            detail = (error.get("ctx") or {}).get("error", "invalid JSON")
            position = (error.get("loc") or ("body",))[-1]
            at = f" (at character {position})" if isinstance(position, int) else ""
            parts.append(f"request body is not valid JSON: {detail}{at}")
            continue
        where = _location(error.get("loc", ()))
        message = str(error.get("msg", "is invalid"))
        if kind == "missing":
            message = "is required"
        elif kind in ("model_attributes_type", "dict_type") and where == "request body":
            message = "must be a JSON object (send Content-Type: application/json)"
        parts.append(f"{where}: {message}")
    if len(errors) > 5:
        parts.append(f"and {len(errors) - 5} more problem(s)")
    return "; ".join(parts)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.headers)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    if isinstance(exc, NotFound):
        return error_response(404, exc.message)
    if isinstance(exc, Conflict):
        return error_response(409, exc.message)
    if not isinstance(exc, InvalidRequest):
        log.warning("unexpected domain error %s: %s", type(exc).__name__, exc.message)
    return error_response(400, exc.message)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(400, validation_message(exc.errors()))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 404:
        message = NOT_FOUND_MESSAGE
    elif isinstance(exc.detail, str) and exc.detail:
        message = exc.detail
    else:
        message = HTTPStatus(status).phrase
    return error_response(status, message, exc.headers)


async def _record_conflict(request: Request, exc: Exception) -> JSONResponse:
    log.warning("version conflict escaped its retries: %s", type(exc).__name__)
    return error_response(409, "a concurrent change to the same data got there first; retry it")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    reference = uuid.uuid4().hex[:12]
    log.error(
        "unhandled error %s on %s %s",
        reference,
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return error_response(500, f"internal error (reference {reference})")


def install_error_handlers(api: FastAPI) -> None:
    """Register the handlers that turn every failure into the error JSON."""
    api.add_exception_handler(ApiError, _api_error)
    api.add_exception_handler(DomainError, _domain_error)
    api.add_exception_handler(RequestValidationError, _validation_error)
    api.add_exception_handler(StarletteHTTPException, _http_error)
    api.add_exception_handler(RecordConflictError, _record_conflict)
    api.add_exception_handler(Exception, _unexpected)
