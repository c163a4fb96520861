"""`Idempotency-Key` on mutating requests (SPEC §6), as an ASGI middleware.

Applies to POST, PUT and PATCH under the account prefix (the searches, read-only POSTs,
are left alone), after `AuthMiddleware` and the body checks. With the header:

1. the key is claimed in the shared table (`leadstate.idempotency`), with a hash of the
   API key, method, path, query and body;
2. a claim held by another request with the same hash is waited for (polling, at most
   `LEADSTATE_IDEMPOTENCY_WAIT_SECONDS`, then 409 "still in progress"); one with another
   hash is a 409 at once;
3. a completed record is replayed: its status, headers (`Location`...) and body, plus
   `Idempotent-Replayed: true`; nothing runs again;
4. otherwise the request runs, its response is stored, then sent. A 5xx, 409 or 429
   (a retry may succeed) is not stored: the claim is released.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import parse_qsl

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadstate import metrics
from leadstate.api.errors import error_response
from leadstate.application.bootstrap import Leadstate
from leadstate.persistence.apikeys import ApiKey
from leadstate.persistence.idempotency import MAX_KEY_LENGTH, Outcome, StoredResponse

log = logging.getLogger("leadstate.idempotency")

HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
METHODS = frozenset({"POST", "PUT", "PATCH"})
READ_ONLY_SUFFIXES = ("/campaignLeads/leadSearch", "/campaignLeads/leadSearchByPhoneList")
NOT_STORED = frozenset({408, 409, 429})
# Response headers not replayed: the replay gets its own (ids, dates, lengths, security).
_SKIPPED_HEADERS = frozenset(
    {
        "content-length",
        "date",
        "server",
        "set-cookie",
        "x-request-id",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
        "cache-control",
        "content-security-policy",
    }
)
_POLL_FIRST = 0.05
_POLL_MAX = 0.5


def applies(scope: Scope) -> bool:
    """True for a mutating request of an authenticated account."""
    if scope.get("method") not in METHODS:
        return False
    state = scope.get("state") or {}
    if not isinstance(state.get("account_id"), int):
        return False
    path: str = scope["path"].rstrip("/")
    return not path.endswith(READ_ONLY_SUFFIXES)


def valid_key(value: str) -> bool:
    """1 to 255 visible ASCII characters."""
    return 0 < len(value) <= MAX_KEY_LENGTH and all(33 <= ord(c) <= 126 for c in value)


class IdempotencyMiddleware:
    """Replays stored answers to retried mutating requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not applies(scope):
            await self.app(scope, receive, send)
            return
        key = Headers(scope=scope).get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not valid_key(key):
            response = error_response(
                400, f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} visible ASCII characters"
            )
            await response(scope, receive, send)
            return
        state: dict[str, Any] = scope["state"]
        leadstate = state.get("leadstate")
        api_key = state.get("api_key")
        assert isinstance(leadstate, Leadstate), "the lifespan did not start"
        assert isinstance(api_key, ApiKey), "AuthMiddleware runs first"
        account_id: int = state["account_id"]
        body, receive = await _buffer(receive)
        records = leadstate.idempotency
        query = parse_qsl(bytes(scope.get("query_string", b"")).decode("latin-1"), True)
        request_hash = await run_in_threadpool(
            records.fingerprint, api_key.key_id, scope["method"], scope["path"], query, body
        )
        owner = uuid.uuid4().hex
        wait = float(leadstate.settings.idempotency_wait_seconds)
        pause = _POLL_FIRST
        with anyio.move_on_after(wait) as waiting:
            while True:
                begun = await run_in_threadpool(records.begin, account_id, key, request_hash, owner)
                if begun.outcome is not Outcome.RUNNING:
                    break
                await anyio.sleep(pause)
                pause = min(_POLL_MAX, pause * 2)
        if waiting.cancelled_caught:
            response = error_response(
                409,
                "a request with this Idempotency-Key is still in progress; "
                "retry it later to get its answer",
                {"Retry-After": "1"},
            )
            await response(scope, receive, send)
            return
        if begun.outcome is Outcome.MISMATCH:
            response = error_response(
                409,
                "this Idempotency-Key was already used for a different request "
                "(another method, path, query, body or API key); use a new key",
            )
            await response(scope, receive, send)
            return
        if begun.outcome is Outcome.STORED:
            assert begun.response is not None
            metrics.IDEMPOTENT_REPLAYS.inc()
            await _replay(begun.response, send)
            return
        await self._run(scope, receive, send, leadstate, account_id, key, owner)

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        leadstate: Leadstate,
        account_id: int,
        key: str,
        owner: str,
    ) -> None:
        """Run the claimed request, store its response, then send it."""
        records = leadstate.idempotency
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(records.release, account_id, key, owner)
            raise
        assert start is not None, "the application sent no response"
        status = int(start["status"])
        body = b"".join(chunks)
        if status >= 500 or status in NOT_STORED:
            await run_in_threadpool(records.release, account_id, key, owner)
        else:
            headers = [
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in start.get("headers", [])
                if name.decode("latin-1").lower() not in _SKIPPED_HEADERS
            ]
            try:
                await run_in_threadpool(
                    records.complete, account_id, key, owner, StoredResponse(status, headers, body)
                )
            except Exception:
                # The request took effect; its answer goes out all the same. Without a
                # record a retry would run it again, so the claim stays until it is stale.
                log.exception("could not store the response of an idempotent request")
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a `receive` that hands it over again."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _replay(stored: StoredResponse, send: Send) -> None:
    headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in stored.headers]
    headers.append((b"content-length", str(len(stored.body)).encode()))
    headers.append((REPLAYED_HEADER.lower().encode(), b"true"))
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body, "more_body": False})


__all__ = ["HEADER", "REPLAYED_HEADER", "IdempotencyMiddleware", "applies", "valid_key"]
