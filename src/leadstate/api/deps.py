"""Dependencies routes share: the application's collaborators, the account, the
request's meta."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Request, Response

from leadstate.api.auth import current_key
from leadstate.api.errors import ApiError
from leadstate.application.audit import Audit
from leadstate.application.bootstrap import Leadstate
from leadstate.application.bulk import BulkActions
from leadstate.application.dialing import Dialing
from leadstate.application.exports import Exports
from leadstate.application.leads import Leads
from leadstate.application.loading import Loading
from leadstate.application.read_models import ReadModels
from leadstate.domain import InvalidRequest, Meta, parse_time
from leadstate.persistence.apikeys import ApiKeys

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


async def get_leadstate(request: Request) -> Leadstate:
    """The service the lifespan opened."""
    app = getattr(request.state, "leadstate", None)
    assert isinstance(app, Leadstate), "the lifespan did not start"
    return app


async def get_leads(request: Request) -> Leads:
    """Single-lead queries and edits, campaigns."""
    return (await get_leadstate(request)).leads


async def get_loading(request: Request) -> Loading:
    """The loader."""
    return (await get_leadstate(request)).loading


async def get_actions(request: Request) -> BulkActions:
    """Lead actions and bulk jobs."""
    return (await get_leadstate(request)).actions


async def get_dialing(request: Request) -> Dialing:
    """Dial attempts, calls, DNC, the dialable queue."""
    return (await get_leadstate(request)).dialing


async def get_exports(request: Request) -> Exports:
    """EMAIL_LEADS exports."""
    return (await get_leadstate(request)).exports


async def get_audit(request: Request) -> Audit:
    """History and verify."""
    return (await get_leadstate(request)).audit


async def get_read_models(request: Request) -> ReadModels:
    """Read-model administration."""
    return (await get_leadstate(request)).read_models


async def get_api_keys(request: Request) -> ApiKeys:
    """API keys."""
    return (await get_leadstate(request)).api_keys


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
    meta = Meta.now(key.key_id, given if _REQUEST_ID.match(given) else None)
    response.headers[REQUEST_ID_HEADER] = meta.correlation_id
    return meta


def parse_time_param(name: str, value: str | None) -> datetime | None:
    """A time query parameter; a 400 naming it when it is not ISO-8601."""
    if value is None:
        return None
    try:
        return parse_time(value)
    except (ValueError, OverflowError) as error:
        raise InvalidRequest(f"{name}: {error}") from None


def parse_as_of(value: str | None) -> datetime | None:
    """`asOf` as a time; a 400 when it is not ISO-8601."""
    return parse_time_param("asOf", value)


LeadsDep = Annotated[Leads, Depends(get_leads)]
LoadingDep = Annotated[Loading, Depends(get_loading)]
ActionsDep = Annotated[BulkActions, Depends(get_actions)]
DialingDep = Annotated[Dialing, Depends(get_dialing)]
ExportsDep = Annotated[Exports, Depends(get_exports)]
AuditDep = Annotated[Audit, Depends(get_audit)]
ReadModelsDep = Annotated[ReadModels, Depends(get_read_models)]
KeysDep = Annotated[ApiKeys, Depends(get_api_keys)]
AccountId = Annotated[int, Depends(account_id)]
RequestMeta = Annotated[Meta, Depends(request_meta)]
