"""The connection pools' I/O, per event-loop library (httpcore's network backend interface).

``AsyncNativePool`` is httpcore's async pool on the running loop's own sockets and
primitives (asyncio's transports, or trio's sockets); its sync twin ``NativePool`` is
httpcore's sync pool, whose blocking sockets and thread locks are native already. Only
the pool's module is imported here: each library's backend loads when a pool first runs
on it, so ``import pareta`` stays cheap.
"""

from __future__ import annotations

import httpcore

from ._pool import AsyncNativePool

NativePool = httpcore.ConnectionPool

__all__ = ["AsyncNativePool", "NativePool"]
