"""httpcore's connection pool, giving back the slots that cancellation orphans.

A module of its own so that httpcore is imported only when the first pool is made:
``import pareta`` stays as cheap as ``import httpx``.
"""

from __future__ import annotations

import httpcore

from .._network import AsyncNativePool
from .._pools import drop_leftovers, reclaim_orphans


class AsyncReclaimingPool(AsyncNativePool):
    """httpcore's pool on the event loop's own I/O, reclaiming connections that no request
    owns, and closing those with bytes left over after an answer (see ``_pools``)."""

    def _assign_requests_to_connections(self) -> list[httpcore.AsyncConnectionInterface]:
        orphans = reclaim_orphans(self._connections, self._requests)
        orphans += drop_leftovers(self._connections)
        return orphans + super()._assign_requests_to_connections()


def reclaiming(pool: httpcore.AsyncConnectionPool) -> AsyncReclaimingPool:
    """``pool`` (a proxy's: httpcore's proxies are pools too) with the same behaviour."""
    pool.__class__ = _reclaiming_kind(type(pool))
    return pool  # type: ignore[return-value]  # its class was just made a subclass


_KINDS: dict[type[httpcore.AsyncConnectionPool], type[AsyncReclaimingPool]] = {}


def _reclaiming_kind(kind: type[httpcore.AsyncConnectionPool]) -> type[AsyncReclaimingPool]:
    made = _KINDS.get(kind)
    if made is None:
        # A proxy's own connections (through the proxy) are the ones it opens.
        own = {"create_connection": kind.create_connection}
        made = _KINDS[kind] = type(f"Reclaiming{kind.__name__}", (AsyncReclaimingPool, kind), own)
    return made
