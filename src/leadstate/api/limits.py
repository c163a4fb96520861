"""Request bodies: at most 16 MB (413), and no text a database cannot store (400).

The body is read here in full (it is bounded), checked, and handed on unchanged. JSON
strings holding NUL (`\\u0000`) or an unpaired surrogate (`\\ud800`) are refused: neither
can be stored as text by PostgreSQL or encoded as UTF-8, and they are never real data.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadstate.api.errors import error_response

MAX_BODY_BYTES = 16 * 1024 * 1024

# A `\u0000` or `\uD800`-`\uDFFF` escape (possibly part of a valid pair: then checked).
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89abAB][0-9a-fA-F]{2}|[dD][c-fC-F][0-9a-fA-F]{2})")


def _bad_text(value: Any) -> bool:
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_bad_text(k) or _bad_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_bad_text(v) for v in value)
    return False


def unstorable_text(body: bytes) -> bool:
    """True when a JSON body holds a string with NUL or an unpaired surrogate."""
    if not _SUSPECT_ESCAPE.search(body):
        return False
    try:
        parsed = json.loads(body)
    except ValueError:
        return False  # not JSON: the route's own parsing reports it
    return _bad_text(parsed)


class BodyLimitMiddleware:
    """413 for a body above `max_bytes`; 400 for unstorable JSON text."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = error_response(
            413, f"the request body is larger than {self.max_bytes // (1024 * 1024)} MB"
        )
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app sees an empty body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        if body and unstorable_text(body):
            response = error_response(
                400, "request body: text must not hold NUL characters or unpaired surrogates"
            )
            await response(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
