"""Rate limiting per org: a token bucket of `burst` tokens refilled at `rate` per second.

Every ``/v1`` request with a Pareta key takes one token from its org's bucket.
With none left it answers 429 with ``Retry-After`` (whole seconds until a token
is back, at least 1) and never reaches the routes, so it is never billed nor
remembered as an ``Idempotency-Key``'s answer. While limiting is on, every
``/v1`` answer carries ``x-ratelimit-limit`` (requests per second),
``x-ratelimit-remaining`` (whole tokens left) and ``x-ratelimit-reset``
(seconds until the bucket is full again), so a client can slow down before it
is refused.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .identity import identity_of

# Buckets of orgs idle the longest are forgotten first; one reborn is simply full.
MAX_BUCKETS = 100_000


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: float
    burst: int
    remaining: int
    reset: float
    retry_after: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-ratelimit-limit", f"{self.limit:g}".encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", f"{self.reset:.3f}".rstrip("0").rstrip(".").encode()),
        ]


class RateLimiter:
    """Token buckets per org; safe to call from any thread. `clock` is replaceable in tests."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError("rate limit must be a positive number of requests per second")
        if burst < 1:
            raise ValueError("rate burst must be at least 1")
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, org: str) -> Decision:
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.pop(org, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + max(0.0, now - at) * self.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[org] = (tokens, now)
            if len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        wait = 0 if allowed else max(1, math.ceil((1.0 - tokens) / self.rate))
        return Decision(
            allowed=allowed,
            limit=self.rate,
            burst=self.burst,
            remaining=int(tokens),
            reset=(self.burst - tokens) / self.rate,
            retry_after=wait,
        )


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limiter: RateLimiter | None) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter = self.limiter
        if limiter is None or scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        api_key = identity_of(scope).api_key
        if api_key is None:
            await self.app(scope, receive, send)
            return
        decision = limiter.take(api_key)
        extra = decision.headers()
        if not decision.allowed:
            await _refuse(send, decision, extra)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _refuse(send: Send, decision: Decision, extra: list[tuple[bytes, bytes]]) -> None:
    detail = (
        f"Rate limit exceeded: this org may send {decision.limit:g} requests per second "
        f"(bursts of up to {decision.burst}). "
        f"Retry after {decision.retry_after} s, or slow down as x-ratelimit-remaining falls."
    )
    body = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(decision.retry_after).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})
