"""httpcore's connection pool, giving back the slots that cancellation orphans.

A module of its own so that httpcore is imported only when the first pool is made:
``import pareta`` stays as cheap as ``import httpx``.
"""

from __future__ import annotations

import httpcore

from .._network import AsyncNativePool
from .._pools import reclaim_orphans


class AsyncReclaimingPool(AsyncNativePool):
    """httpcore's pool, reclaiming connections that no request owns (see ``_pools``)."""

    def _assign_requests_to_connections(self) -> list[httpcore.AsyncConnectionInterface]:
        orphans = reclaim_orphans(self._connections, self._requests)
        return orphans + super()._assign_requests_to_connections()
