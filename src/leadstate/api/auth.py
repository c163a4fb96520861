"""API keys: who is calling, for which account, with which scopes.

The token comes as `Authorization: Bearer <token>` or as the vendor's legacy
`X-Auth-Token: <token>` (same token, same rules; both with different tokens → 401).
Order of checks (SPEC §6): no, unknown or revoked token → 401; a key not for the account
in the path → 404, the same answer as for any path that is not there; a missing scope →
403. The first two happen in `AuthMiddleware`, before routing and before the body is
read, so nothing about an account or a route leaks to a caller without a valid key; the
scope check is a dependency of each route (`Security(authorized, scopes=[...])`), which
also documents the scopes in OpenAPI.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import (
    APIKeyHeader,
    HTTPAuthorizationCredentials,
    HTTPBearer,
    SecurityScopes,
)
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from leadstate.api.errors import NOT_FOUND_MESSAGE, ApiError, error_response
from leadstate.application.bootstrap import Leadstate
from leadstate.persistence.apikeys import ApiKey

ACCOUNTS_PATH = "/voice/api/v1/admin/accounts"
API_PREFIX = f"{ACCOUNTS_PATH}/{{accountId}}"
ME_PATH = "/me"
ADMIN_PREFIX = "/admin"
ACCOUNT_ID_MAX = 2**63 - 1

_ACCOUNT_PATH = re.compile(r"^/voice/api/v1/admin/accounts/([^/]+)(?:/|$)")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="BearerAuth",
    description="An API key from `leadstate keys create`: `Authorization: Bearer lsk_...`.",
)
legacy_scheme = APIKeyHeader(
    name="X-Auth-Token",
    auto_error=False,
    scheme_name="LegacyTokenAuth",
    description="The same API key in the vendor's legacy header (its SDK wrapper sends it).",
)


class TokenConflictError(ValueError):
    """`Authorization` and `X-Auth-Token` carry different tokens."""


def bearer_token(headers: Headers) -> str | None:
    """The token of `Authorization: Bearer <token>` or `X-Auth-Token: <token>`, if any;
    TokenConflictError when both are sent with different tokens."""
    value = headers.get("authorization", "")
    scheme, _, token = value.strip().partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" and token.strip() else None
    legacy = headers.get("x-auth-token", "").strip() or None
    if bearer is not None and legacy is not None and bearer != legacy:
        raise TokenConflictError("Authorization and X-Auth-Token carry different tokens")
    return bearer or legacy


def parse_account_id(raw: str) -> int | None:
    """A path's account id, or None when it cannot name an account."""
    if not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if 0 < value <= ACCOUNT_ID_MAX else None


class AuthMiddleware:
    """Authenticates `/me`, `/admin/...` and everything under the account prefix (401, then
    404)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        match = _ACCOUNT_PATH.match(path)
        if (
            match is None
            and path.rstrip("/") not in (ME_PATH, ACCOUNTS_PATH)
            and not _is_admin(path)
        ):
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        leadstate = state.get("leadstate")
        assert isinstance(leadstate, Leadstate), "the lifespan did not start"
        try:
            token = bearer_token(Headers(scope=scope))
        except TokenConflictError:
            response = error_response(
                401,
                "Authorization and X-Auth-Token carry different API keys: send one key",
                _CHALLENGE,
            )
            await response(scope, receive, send)
            return
        if token is None:
            response = error_response(
                401,
                "an API key is required: send 'Authorization: Bearer <key>' "
                "(or 'X-Auth-Token: <key>')",
                _CHALLENGE,
            )
            await response(scope, receive, send)
            return
        key = leadstate.api_keys.cached(token) or await run_in_threadpool(
            leadstate.api_keys.authenticate, token
        )
        if key is None:
            response = error_response(401, "unknown or revoked API key", _CHALLENGE)
            await response(scope, receive, send)
            return
        if match is not None:
            account_id = parse_account_id(match.group(1))
            if account_id is None or not key.allows_account(account_id):
                await error_response(404, NOT_FOUND_MESSAGE)(scope, receive, send)
                return
            state["account_id"] = account_id
        state["api_key"] = key
        await self.app(scope, receive, send)


def _is_admin(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(f"{ADMIN_PREFIX}/")


def current_key(request: Request) -> ApiKey:
    """The key `AuthMiddleware` authenticated for this request."""
    key = getattr(request.state, "api_key", None)
    if not isinstance(key, ApiKey):
        raise ApiError(401, "an API key is required", _CHALLENGE)
    return key


def require_scope(key: ApiKey, scope: str) -> None:
    """403 unless `key` holds `scope`."""
    if not key.has_scope(scope):
        raise ApiError(403, f"this API key lacks the scope {scope!r}")


async def authorized(
    request: Request,
    security_scopes: SecurityScopes,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    _legacy: Annotated[str | None, Depends(legacy_scheme)],
) -> ApiKey:
    """The calling key, once it holds every scope the route declares."""
    key = current_key(request)
    for scope in security_scopes.scopes:
        require_scope(key, scope)
    return key


AnyKey = Annotated[ApiKey, Security(authorized)]
ReadKey = Annotated[ApiKey, Security(authorized, scopes=["leads:read"])]
WriteKey = Annotated[ApiKey, Security(authorized, scopes=["leads:write"])]

ACTION_SCOPES = {"DELETE_LEADS": "leads:delete", "EMAIL_LEADS": "leads:export"}


async def action_key(request: Request, key: AnyKey) -> ApiKey:
    """The key, holding the scope of `leadAction`: leads:delete for DELETE_LEADS,
    leads:export for EMAIL_LEADS, leads:write for every other action."""
    action = request.query_params.get("leadAction", "").strip().upper()
    require_scope(key, ACTION_SCOPES.get(action, "leads:write"))
    return key


async def lead_reader_key(request: Request, key: ReadKey) -> ApiKey:
    """The key, holding audit:read too when a past version (`version`, `asOf`) is asked."""
    if "version" in request.query_params or "asOf" in request.query_params:
        require_scope(key, "audit:read")
    return key


ActionKey = Annotated[ApiKey, Depends(action_key)]
LeadReaderKey = Annotated[ApiKey, Depends(lead_reader_key)]
