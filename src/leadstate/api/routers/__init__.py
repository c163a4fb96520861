"""One router per resource; each route parses, calls one application method, answers."""

from __future__ import annotations

from typing import Any

from leadstate.api.schemas import ErrorResponse

API_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Bad request: a missing or mistyped field."},
    401: {"model": ErrorResponse, "description": "No API key, or an unknown or revoked one."},
    403: {"model": ErrorResponse, "description": "The API key lacks the route's scope."},
    404: {"model": ErrorResponse, "description": "Not found (also: a key for another account)."},
    "4XX": {"model": ErrorResponse, "description": "Another client error (405, 409, 413)."},
    500: {"model": ErrorResponse, "description": "A server fault (never bad input)."},
}
"""Error responses every authenticated route documents."""
