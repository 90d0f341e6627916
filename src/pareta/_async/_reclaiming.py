"""httpcore's connection pool, giving back the slots that cancellation orphans.

A module of its own so that httpcore is imported only when the first pool is made:
``import pareta`` stays as cheap as ``import httpx``.
"""

from __future__ import annotations

import httpcore

from .._pools import drop_leftovers, reclaim_orphans


class AsyncReclaimingPool(httpcore.AsyncConnectionPool):
    """httpcore's pool, reclaiming connections that no request owns, and closing those
    with bytes left over after an answer (see ``_pools``)."""

    def _assign_requests_to_connections(self) -> list[httpcore.AsyncConnectionInterface]:
        orphans = reclaim_orphans(self._connections, self._requests)
        orphans += drop_leftovers(self._connections)
        return orphans + super()._assign_requests_to_connections()
