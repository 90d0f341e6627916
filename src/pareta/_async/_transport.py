"""The default transport: one connection budget split across many tiny httpx pools.

httpcore's pool does work per request that grows with the connections and the waiting
requests it holds, so a single pool of 256 connections spends most of its time scanning
itself under heavy fan-out. The same budget split into pools of 2, each request going
to the pool with the fewest requests in flight, keeps the cost per request flat as
concurrency grows: measured in benchmarks/, pools of 16 still cost about 1.5x the
sequential price per request at 256 concurrent, pools of 2 about 1.2-1.3x.

Small pools make one httpcore flaw fatal: a request cancelled while it waits for a
connection can leave that connection holding a slot forever (see ``_pools``), and a pool
of 2 dies after two. Each pool here reclaims such connections whenever it assigns
connections to requests, so a cancellation storm leaves every slot usable, and the
in-flight count that dispatch reads is exactly what each pool holds. Should a pool still
end up with slots that nothing gives back, the request that times out waiting in it has
it replaced by a new pool.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, NamedTuple

import httpx

if TYPE_CHECKING:
    from ._reclaiming import AsyncReclaimingPool

SHARD_CONNECTIONS = 2


class ShardStats(NamedTuple):
    """One pool's state: requests of ours in flight, connections lent out, kept idle."""

    requests: int
    busy: int
    idle: int


class _ReleasingStream(httpx.AsyncByteStream):
    """A response body that gives its shard's slot back when it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, release: _Release) -> None:
        self._stream = stream
        self._release = release

    def __aiter__(self) -> AsyncIterator[bytes]:
        # The inner iterator itself, not a generator around it: nothing of ours is left
        # suspended when a caller stops reading early.
        return self._stream.__aiter__()

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            self._release()


class _Release:
    """Decrements a shard's in-flight count exactly once."""

    __slots__ = ("_done", "_shard", "_transport")

    def __init__(self, transport: AsyncShardedTransport, shard: int) -> None:
        self._transport = transport
        self._shard = shard
        self._done = False

    def __call__(self) -> None:
        if not self._done:
            self._done = True
            self._transport._finish(self._shard)


class AsyncShardedTransport(httpx.AsyncBaseTransport):
    """Sends each request through the least busy of several small connection pools."""

    def __init__(
        self,
        *,
        limits: httpx.Limits,
        shard_connections: int = SHARD_CONNECTIONS,
        proxy: str | None = None,
    ) -> None:
        # With ``proxy``, every pool sends through that proxy (as httpx's own would).
        self._proxy = proxy
        total = limits.max_connections or 100
        count = max(1, -(-total // shard_connections))
        per_shard = -(-total // count)
        keepalive = (
            per_shard
            if limits.max_keepalive_connections is None
            else max(1, -(-limits.max_keepalive_connections // count))
        )
        self._limits = httpx.Limits(
            max_connections=per_shard,
            max_keepalive_connections=min(keepalive, per_shard),
            keepalive_expiry=limits.keepalive_expiry,
        )
        # One TLS context for every pool: loading the CA bundle once, not once per pool.
        self._tls = httpx.create_ssl_context()
        # Pools are made when first needed: a client that never fans out builds one or two.
        self._pools: list[httpx.AsyncBaseTransport | None] = [None] * count
        self._connection_pools: list[AsyncReclaimingPool | None] = [None] * count
        # Pools taken out of dispatch; closed with the transport, once their requests ended.
        self._retired: list[httpx.AsyncBaseTransport] = []
        self.in_flight = [0] * count
        # The sync twin is shared by threads; the count must not drift.
        self._lock = threading.Lock()

    @property
    def shards(self) -> list[httpx.AsyncBaseTransport]:
        """The pools made so far."""
        return [pool for pool in self._pools if pool is not None]

    def stats(self) -> list[ShardStats]:
        """Each pool made so far, in shard order: what it lends out and keeps idle."""
        stats = []
        for shard, pool in enumerate(self._connection_pools):
            if pool is not None:
                busy, idle = _lent_and_idle(pool)
                stats.append(ShardStats(self.in_flight[shard], busy, idle))
        return stats

    def _replace_if_stuck(self, shard: int) -> None:
        # A pool that timed out a request while more of its connections were lent out than
        # we have requests on it holds slots that nothing will give back: it can make no
        # progress, so later requests get a new pool in its place.
        with self._lock:
            pool = self._connection_pools[shard]
            transport = self._pools[shard]
            if pool is None or transport is None:
                return
            if _lent_and_idle(pool)[0] > self.in_flight[shard]:
                self._retired.append(transport)
                self._pools[shard] = self._connection_pools[shard] = None

    def _shard_transport(self, shard: int) -> httpx.AsyncBaseTransport:
        transport = self._pools[shard]
        if transport is None:
            # httpcore is imported with the first pool, as httpx itself does.
            from ._reclaiming import AsyncReclaimingPool, reclaiming

            if self._proxy is not None:
                transport = self._pools[shard] = httpx.AsyncHTTPTransport(
                    limits=self._limits, verify=self._tls, proxy=self._proxy
                )
                self._connection_pools[shard] = reclaiming(transport._pool)
                return transport
            transport = self._pools[shard] = httpx.AsyncHTTPTransport(
                limits=self._limits, verify=self._tls
            )
            # The same pool httpx would build, with the reclaiming behaviour above.
            pool = self._connection_pools[shard] = AsyncReclaimingPool(
                ssl_context=self._tls,
                max_connections=self._limits.max_connections,
                max_keepalive_connections=self._limits.max_keepalive_connections,
                keepalive_expiry=self._limits.keepalive_expiry,
            )
            transport._pool = pool
        return transport

    def _start(self) -> int:
        with self._lock:
            in_flight = self.in_flight
            shard = in_flight.index(min(in_flight))
            in_flight[shard] += 1
            return shard

    def _finish(self, shard: int) -> None:
        with self._lock:
            self.in_flight[shard] -= 1

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        shard = self._start()
        release = _Release(self, shard)
        try:
            response = await self._shard_transport(shard).handle_async_request(request)
        except BaseException as exc:
            release()
            if isinstance(exc, httpx.PoolTimeout):
                self._replace_if_stuck(shard)
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _ReleasingStream(response.stream, release)
        return response

    async def aclose(self) -> None:
        for shard in self.shards + self._retired:
            await shard.aclose()


def _lent_and_idle(pool: AsyncReclaimingPool) -> tuple[int, int]:
    open_ = [c for c in pool.connections if not c.is_closed()]
    idle = sum(1 for c in open_ if c.is_idle())
    return len(open_) - idle, idle
