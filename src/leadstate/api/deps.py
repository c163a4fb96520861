"""Dependencies every route shares: the application, the account, the request's meta."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Request, Response

from leadstate.api.auth import current_key
from leadstate.api.errors import ApiError
from leadstate.application import LeadstateApp, new_meta
from leadstate.domain import InvalidRequest, Meta, parse_time

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


async def get_leadstate(request: Request) -> LeadstateApp:
    """The application the lifespan built."""
    app = getattr(request.state, "leadstate", None)
    assert isinstance(app, LeadstateApp), "the lifespan did not start"
    return app


async def account_id(
    request: Request,
    accountId: Annotated[str, Path(description="The account (tenant) id.")],
) -> int:
    """The account of the path, as `AuthMiddleware` checked it against the key."""
    value = getattr(request.state, "account_id", None)
    if not isinstance(value, int):
        raise ApiError(404, "Not Found")
    return value


async def request_meta(request: Request, response: Response) -> Meta:
    """Actor (the key's id, never its token) and correlation id (`X-Request-Id` or new)."""
    key = current_key(request)
    # The one `ObservabilityMiddleware` logs the request under, when it runs.
    given = getattr(request.state, "correlation_id", None) or request.headers.get(
        REQUEST_ID_HEADER, ""
    )
    meta = new_meta(key.key_id, given if _REQUEST_ID.match(given) else None)
    response.headers[REQUEST_ID_HEADER] = meta.correlation_id
    return meta


def parse_as_of(value: str | None) -> datetime | None:
    """`asOf` as a time; a 400 when it is not ISO-8601."""
    if value is None:
        return None
    try:
        return parse_time(value)
    except (ValueError, OverflowError) as error:
        raise InvalidRequest(f"asOf: {error}") from None


Leadstate = Annotated[LeadstateApp, Depends(get_leadstate)]
AccountId = Annotated[int, Depends(account_id)]
RequestMeta = Annotated[Meta, Depends(request_meta)]
