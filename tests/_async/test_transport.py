from __future__ import annotations

import httpcore
import httpx
import pytest

from pareta._async import _reclaiming
from pareta._async._reclaiming import AsyncReclaimingPool
from pareta._async._transport import AsyncShardedTransport, ShardStats
from pareta.local import LocalServer
from tests.helpers import Chunks

pytestmark = pytest.mark.anyio


def sharded(count: int, handler: object) -> AsyncShardedTransport:
    transport = AsyncShardedTransport(limits=httpx.Limits(max_connections=2 * count))
    assert len(transport.in_flight) == count
    transport._pools = [httpx.MockTransport(handler) for _ in range(count)]  # type: ignore[arg-type]
    return transport


def streaming(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, stream=Chunks([b"a", b"b"]))


def test_the_budget_is_split_into_small_pools() -> None:
    transport = AsyncShardedTransport(
        limits=httpx.Limits(max_connections=256, max_keepalive_connections=64)
    )
    assert len(transport.in_flight) == 128
    assert transport.shards == []  # pools are made when first needed
    pool = transport._shard_transport(5)._pool  # type: ignore[attr-defined]
    assert isinstance(pool, AsyncReclaimingPool)
    assert pool._max_connections == 2
    assert pool._max_keepalive_connections == 1
    assert len(transport.shards) == 1
    assert transport._shard_transport(5) is transport.shards[0]
    wide = AsyncShardedTransport(limits=httpx.Limits(max_connections=10), shard_connections=16)
    assert len(wide.in_flight) == 1
    assert wide._shard_transport(0)._pool._max_connections == 10  # type: ignore[attr-defined]


async def test_requests_go_to_the_least_busy_pool_and_come_back() -> None:
    transport = sharded(3, streaming)
    async with httpx.AsyncClient(transport=transport) as client:
        responses = [
            await client.send(client.build_request("GET", "http://x/"), stream=True)
            for _ in range(4)
        ]
        assert transport.in_flight == [2, 1, 1]  # idle pools first, then the least busy
        await responses[1].aclose()
        assert transport.in_flight == [2, 0, 1]
        again = await client.send(client.build_request("GET", "http://x/"), stream=True)
        assert transport.in_flight == [2, 1, 1]
        assert await again.aread() == b"ab"
        await again.aclose()
        for response in responses:
            await response.aclose()
            await response.aclose()  # a second close gives nothing back twice
        assert transport.in_flight == [0, 0, 0]
        plain = await client.get("http://x/")
        assert plain.content == b"ab"
        assert transport.in_flight == [0, 0, 0]


async def test_a_slot_is_given_back_once_however_often_its_body_is_closed() -> None:
    transport = sharded(1, streaming)
    response = await transport.handle_async_request(httpx.Request("GET", "http://x/"))
    assert transport.in_flight == [1]
    assert isinstance(response.stream, httpx.AsyncByteStream)
    await response.stream.aclose()
    await response.stream.aclose()
    assert transport.in_flight == [0]


async def test_a_failed_request_gives_its_slot_back() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    transport = sharded(2, refuse)
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("http://x/")
    assert transport.in_flight == [0, 0]


async def test_stats_report_what_each_pool_lends_out_and_keeps(local: LocalServer) -> None:
    transport = AsyncShardedTransport(limits=httpx.Limits(max_connections=4))
    async with httpx.AsyncClient(transport=transport) as client:
        assert transport.stats() == []
        url = f"{local.base_url}/v1/tasks"
        held = await client.send(client.build_request("GET", url), stream=True)
        assert transport.stats() == [ShardStats(requests=1, busy=1, idle=0)]
        assert (await client.get(url)).status_code == 401  # no key: any answer will do
        assert transport.stats() == [
            ShardStats(requests=1, busy=1, idle=0),
            ShardStats(requests=0, busy=0, idle=1),
        ]
        await held.aclose()  # closed unread: its connection cannot be reused
        assert transport.stats() == [
            ShardStats(requests=0, busy=0, idle=0),
            ShardStats(requests=0, busy=0, idle=1),
        ]


async def test_a_pool_that_cannot_make_progress_is_replaced(
    local: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What an unforeseen leak would leave: both slots held by connections no request owns,
    # in a pool that does not reclaim them.
    monkeypatch.setattr(_reclaiming, "reclaim_orphans", lambda connections, requests: [])
    transport = AsyncShardedTransport(limits=httpx.Limits(max_connections=2))
    url = httpx.URL(f"{local.base_url}/v1/tasks")
    async with httpx.AsyncClient(
        transport=transport, timeout=httpx.Timeout(10, pool=0.05)
    ) as client:
        assert (await client.get(url)).status_code == 401
        stuck = transport._connection_pools[0]
        assert stuck is not None
        origin = httpcore.Origin(b"http", url.raw_host, url.port or 80)
        for connection in stuck.connections:
            await connection.aclose()
        stuck._connections[:] = [httpcore.AsyncHTTPConnection(origin) for _ in range(2)]
        assert transport.stats() == [ShardStats(requests=0, busy=2, idle=0)]
        with pytest.raises(httpx.PoolTimeout):
            await client.get(url)
        assert transport.stats() == []  # taken out of dispatch; a new pool comes on demand
        assert (await client.get(url)).status_code == 401
        assert transport.stats() == [ShardStats(requests=0, busy=0, idle=1)]


async def test_a_pool_that_is_merely_busy_is_kept(local: LocalServer) -> None:
    transport = AsyncShardedTransport(limits=httpx.Limits(max_connections=2))
    url = f"{local.base_url}/v1/tasks"
    async with httpx.AsyncClient(
        transport=transport, timeout=httpx.Timeout(10, pool=0.05)
    ) as client:
        held = [await client.send(client.build_request("GET", url), stream=True) for _ in range(2)]
        with pytest.raises(httpx.PoolTimeout):
            await client.get(url)
        assert transport.stats() == [ShardStats(requests=2, busy=2, idle=0)]
        for response in held:
            await response.aclose()
