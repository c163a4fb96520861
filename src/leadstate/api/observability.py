"""The outermost middleware: request ids, the access log, HTTP metrics, security headers.

Per request it
- gives a request id (always new) and a correlation id (a well-formed `X-Request-Id`,
  else the request id) to the logs (`leadstate.logs` context) and to the route
  (`request.state.correlation_id`, which `RequestMeta` stamps on events), and answers
  `X-Request-Id` with the correlation id;
- writes one `request` log line and the metrics by route *template* (never the raw
  path: `/exports/{token}` must not log its token);
- adds the security headers to every response: `nosniff`, `DENY`, `no-referrer`,
  `Cache-Control: no-store` (unless the response sets its own, as the UI page does),
  and a `default-src 'none'` Content-Security-Policy on JSON;
- turns an unhandled exception into the error JSON 500 itself (with the app's own
  handler), so that response gets the headers too.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadstate import metrics
from leadstate.api.errors import error_response
from leadstate.logs import CORRELATION_ID, REQUEST_ID

log = logging.getLogger("leadstate.access")

REQUEST_ID_HEADER = "X-Request-Id"
_WELL_FORMED_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

JSON_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
CACHEABLE_PREFIXES = ("/ui/static/",)
UNMATCHED = "unmatched"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope) -> str:
    """The template of the route that answered (`.../campaignLeads/{leadId}`), or
    `unmatched` (no route: 404s, and answers given before routing, such as 401)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


def secure(headers: MutableHeaders, path: str) -> None:
    """Add the security headers a response lacks."""
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    if not path.startswith(CACHEABLE_PREFIXES):
        headers.setdefault("Cache-Control", "no-store")
    content_type = headers.get("content-type", "")
    if "json" in content_type:
        headers.setdefault("Content-Security-Policy", JSON_CSP)


class ObservabilityMiddleware:
    """Ids, access log, metrics and security headers for every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        given = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        correlation_id = given if _WELL_FORMED_ID.match(given) else request_id
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["correlation_id"] = correlation_id
        request_token = REQUEST_ID.set(request_id)
        correlation_token = CORRELATION_ID.set(correlation_id)
        path: str = scope["path"]
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_secured(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = int(message["status"])
                headers = MutableHeaders(scope=message)
                headers.setdefault(REQUEST_ID_HEADER, correlation_id)
                secure(headers, path)
            await send(message)

        try:
            try:
                await self.app(scope, receive, send_secured)
            except Exception as error:
                if response_started:
                    raise
                response = await self._server_error(scope, error)
                await response(scope, receive, send_secured)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = str(scope.get("method", ""))
            method = method if method in KNOWN_METHODS else "OTHER"  # bounded labels
            metrics.HTTP_REQUESTS.labels(method, route, str(status)).inc()
            metrics.HTTP_LATENCY.labels(method, route).observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            REQUEST_ID.reset(request_token)
            CORRELATION_ID.reset(correlation_token)

    @staticmethod
    async def _server_error(scope: Scope, error: Exception) -> Any:
        """The app's own 500 (its `Exception` handler logs the error with a reference)."""
        app = scope.get("app")
        handlers = getattr(app, "exception_handlers", {})
        handler = handlers.get(Exception) or handlers.get(500)
        if handler is not None:
            return await handler(Request(scope), error)
        log.error("unhandled error", exc_info=(type(error), error, error.__traceback__))
        return error_response(500, "internal error")


__all__ = ["REQUEST_ID_HEADER", "ObservabilityMiddleware", "route_template", "secure"]
