"""Per-account rate limits: a token bucket per account, in memory, per process.

`LEADSTATE_RATE_LIMIT_PER_SECOND` tokens flow into each account's bucket every second,
up to `LEADSTATE_RATE_LIMIT_BURST` (0: twice the rate, at least 1). Each request under
the account prefix takes one; an empty bucket answers 429 with `Retry-After` (whole
seconds until a token is there). A rate of 0, the default, turns the limit off. Runs
after `AuthMiddleware` (the account is known and the key checked) and before the body is
read. Each process counts on its own: N processes let N times the rate through.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from leadstate import metrics
from leadstate.api.errors import error_response
from leadstate.application.bootstrap import Leadstate

MAX_BUCKETS = 10_000


@dataclass
class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up."""

    rate: float
    burst: float
    tokens: float = field(default=-1.0)
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst

    def take(self, now: float | None = None) -> float:
        """Take a token: 0.0 when there was one, else the seconds until there is."""
        now = time.monotonic() if now is None else now
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def full(self, now: float) -> bool:
        """True when the bucket would be full now (nothing to remember about it)."""
        return self.tokens + (now - self.updated) * self.rate >= self.burst


def burst_of(rate: float, burst: int) -> float:
    """The bucket size for a configured burst (0: twice the rate, at least 1)."""
    return float(burst) if burst > 0 else max(1.0, 2.0 * rate)


class RateLimitMiddleware:
    """429 once an account has used up its bucket."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.buckets: dict[int, TokenBucket] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.get("state") or {}
        account_id = state.get("account_id")
        leadstate = state.get("leadstate")
        if not isinstance(account_id, int) or not isinstance(leadstate, Leadstate):
            await self.app(scope, receive, send)
            return
        rate = float(leadstate.settings.rate_limit_per_second)
        if rate <= 0:
            await self.app(scope, receive, send)
            return
        wait = self._bucket(account_id, rate, leadstate.settings.rate_limit_burst).take()
        if wait > 0:
            metrics.RATE_LIMITED.inc()
            retry_after = max(1, math.ceil(wait))
            response = error_response(
                429,
                f"too many requests for this account (limit {rate:g} per second); "
                f"retry after {retry_after} s",
                {"Retry-After": str(retry_after)},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _bucket(self, account_id: int, rate: float, burst: int) -> TokenBucket:
        bucket = self.buckets.get(account_id)
        size = burst_of(rate, burst)
        if bucket is None or bucket.rate != rate or bucket.burst != size:
            if len(self.buckets) >= MAX_BUCKETS:
                self._forget_full()
            bucket = self.buckets[account_id] = TokenBucket(rate, size)
        return bucket

    def _forget_full(self) -> None:
        now = time.monotonic()
        for account_id in [a for a, b in self.buckets.items() if b.full(now)]:
            del self.buckets[account_id]


__all__ = ["RateLimitMiddleware", "TokenBucket", "burst_of"]
