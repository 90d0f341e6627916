"""Connections under hostile servers: no answer read from another request's bytes, every
deadline on every connection (fresh or reused), and nothing kept that the server grows."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpcore
import httpx
import pytest

from pareta import (
    APIConnectionError,
    APITimeoutError,
    AsyncPareta,
    EndpointNotReadyError,
    ParetaError,
)
from pareta._async._reclaiming import AsyncReclaimingPool, reclaiming
from pareta._async._transport import AsyncShardedTransport
from pareta._batch.twins import AsyncTaskGroup
from pareta._twins import asleep
from tests import hostile
from tests.helpers import API_KEY, busy_connections, pool_stats
from tests.hostile import Connection, HostileServer

pytestmark = pytest.mark.anyio


def client_of(server: HostileServer, **kwargs: Any) -> AsyncPareta:
    options: dict[str, Any] = {"max_retries": 0, "timeout": 10.0, **kwargs}
    return AsyncPareta(api_key=API_KEY, base_url=server.base_url, **options)


def answer(body: Any, *extra: str) -> bytes:
    data = json.dumps(body).encode()
    head = ["HTTP/1.1 200 OK", "content-type: application/json", f"content-length: {len(data)}"]
    return ("\r\n".join([*head, *extra]) + "\r\n\r\n").encode() + data


MODELS = {"data": [{"id": "genuine"}]}
SMUGGLED = answer({"data": [{"id": "smuggled"}]})


def body_longer_than_its_length(conn: Connection) -> None:
    while True:
        conn.read_request()
        # One write: the answer and, past its Content-Length, a whole second answer.
        conn.send(answer(MODELS) + SMUGGLED)


async def test_bytes_after_an_answer_are_never_read_as_the_next_answer() -> None:
    with HostileServer(body_longer_than_its_length) as server:
        async with client_of(server) as client:
            ids = [[model.id for model in await client.models.list()] for _ in range(4)]
    assert ids == [["genuine"]] * 4
    assert len(server.heads) == 4
    assert server.connections == 4  # each connection with bytes left over was closed


STREAM = b'data: {"id": "c", "choices": []}\n\ndata: [DONE]\n\n'
MESSAGES = [{"role": "user", "content": "hi"}]


def stream_then(then: Callable[[Connection], None]) -> Callable[[Connection], None]:
    """A complete stream (so its connection goes back to the pool), then ``then`` for
    every later request, on that connection or, should it not be reused, on a new one."""
    first = [True]

    def script(conn: Connection) -> None:
        if first[0]:
            first[0] = False
            conn.read_request()
            conn.head("200 OK", "text/event-stream", f"content-length: {len(STREAM)}")
            conn.send(STREAM)
        then(conn)

    return script


async def read_stream(client: AsyncPareta) -> None:
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    async with stream:
        async for _ in stream:
            pass


async def test_call_timeout_holds_on_a_connection_a_stream_used_before() -> None:
    with HostileServer(stream_then(hostile.trickle)) as server:
        async with client_of(server, call_timeout=0.5) as client:
            await read_stream(client)
            with pytest.raises(APITimeoutError, match=r"GET /v1/models .*call_timeout=0\.5s"):
                await client.models.list()
    assert len(server.heads) == 2


async def test_stream_idle_timeout_holds_on_a_connection_a_stream_used_before() -> None:
    with HostileServer(stream_then(hostile.endless_1xx)) as server:
        async with client_of(server, stream_idle_timeout=0.5) as client:
            await read_stream(client)
            with pytest.raises(APITimeoutError, match=r"stream_idle_timeout=0\.5s"):
                await read_stream(client)
    assert len(server.heads) == 2


def retry_after(value: str) -> Callable[[Connection], None]:
    def script(conn: Connection) -> None:
        while True:
            conn.read_request()
            conn.head("503 Service Unavailable", "application/json", "content-length: 2", value)
            conn.send(b"{}")

    return script


@pytest.mark.parametrize(
    "date",
    ["Wed, 21 Oct 2015 07:28:00 +9999999999", "Wed, 21 Oct 2015 07:28:00 -9999999999"],
)
async def test_a_retry_after_date_past_any_calendar_falls_back_to_backoff(
    date: str, backoff_delays: list[float]
) -> None:
    with HostileServer(retry_after(f"retry-after: {date}")) as server:
        async with client_of(server, max_retries=1) as client:
            with pytest.raises(EndpointNotReadyError):
                await client.models.list()
    assert len(server.heads) == 2
    assert len(backoff_delays) == 1
    assert 0.5 <= backoff_delays[0] < 0.75  # the first backoff, not the server's word


@pytest.mark.parametrize("calls", [3, 64])
async def test_closing_a_client_while_calls_wait_out_a_backoff_ends_them_typed(
    calls: int,
) -> None:
    failures: list[BaseException] = []

    async def call(client: AsyncPareta) -> None:
        try:
            await client.models.list()
        except BaseException as exc:  # what each call ends in is the test
            failures.append(exc)

    with HostileServer(retry_after("retry-after: 1")) as server:
        client = client_of(server, max_retries=3)
        async with AsyncTaskGroup() as group:
            for _ in range(calls):
                group.start_soon(call, client)
            while len(server.heads) < calls:  # every call is now in its backoff
                await asleep(0.01)
            await client.aclose()
    assert len(failures) == calls
    for failure in failures:
        assert isinstance(failure, ParetaError), repr(failure)
    assert len(server.heads) == calls  # no call was sent again after the close


def redirect_to_itself(conn: Connection) -> None:
    while True:
        conn.read_request()
        conn.head("302 Found", "text/plain", "location: /v1/models", "content-length: 0")


async def test_a_redirect_loop_on_a_client_that_follows_redirects_is_typed() -> None:
    with HostileServer(redirect_to_itself) as server:
        async with httpx.AsyncClient(follow_redirects=True, max_redirects=5) as http:
            client = AsyncPareta(api_key=API_KEY, base_url=server.base_url, http_client=http)
            with pytest.raises(APIConnectionError, match=r"GET /v1/models .*TooManyRedirects"):
                await client.models.list()
    assert len(server.heads) == 6  # followed five times, never retried


def cookie_monster(conn: Connection) -> None:
    sent = 0
    while True:
        conn.read_request()
        cookies = [f"set-cookie: c{sent + n}={'v' * 16}; Path=/" for n in range(500)]
        sent += 500
        conn.send(answer({"data": []}, *cookies))


async def test_an_sdk_owned_client_keeps_no_cookies() -> None:
    with HostileServer(cookie_monster) as server:
        async with client_of(server) as client:
            for _ in range(4):
                await client.models.list()
            assert len(client.http_client.cookies) == 0
    assert len(server.heads) == 4
    assert all(b"\r\ncookie:" not in head.lower() for head in server.heads)


def proxy(conn: Connection) -> None:
    while True:
        conn.read_request()
        conn.send(answer(MODELS))


async def test_a_proxy_from_the_environment_gets_the_reclaiming_pools(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with HostileServer(proxy) as through, HostileServer(proxy) as direct:
        monkeypatch.setenv("HTTP_PROXY", through.base_url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with AsyncPareta(api_key=API_KEY, base_url="http://api.pareta.test") as proxied:
            assert len(await proxied.models.list()) == 1
            shards = proxied.http_client._transport_for_url(httpx.URL("http://api.pareta.test"))
            assert isinstance(shards, AsyncShardedTransport)
            assert [(s.requests, s.busy, s.idle) for s in shards.stats()] == [(0, 0, 1)]
            made = [pool for pool in shards._connection_pools if pool is not None]
            assert len(made) == 1
            assert isinstance(made[0], AsyncReclaimingPool)
        async with client_of(direct) as unproxied:  # NO_PROXY: the default pools
            assert len(await unproxied.models.list()) == 1
            assert busy_connections(unproxied) == 0
            assert len(pool_stats(unproxied)) == 1
    assert [head.split(b"\r\n")[0] for head in through.heads] == [
        b"GET http://api.pareta.test/v1/models HTTP/1.1"
    ]
    assert len(direct.heads) == 1


def test_every_proxy_kind_of_pool_is_made_reclaiming_once() -> None:
    url = httpcore.URL("http://127.0.0.1:9")
    first, second = httpcore.AsyncHTTPProxy(proxy_url=url), httpcore.AsyncHTTPProxy(proxy_url=url)
    assert type(reclaiming(first)) is type(reclaiming(second))
    assert isinstance(first, AsyncReclaimingPool)
    assert isinstance(first, httpcore.AsyncHTTPProxy)
