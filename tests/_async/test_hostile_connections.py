"""Connections under hostile servers: no answer read from another request's bytes, every
deadline on every connection (fresh or reused), and nothing kept that the server grows."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from pareta import APITimeoutError, AsyncPareta
from tests import hostile
from tests.helpers import API_KEY
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
    """A complete stream (so its connection goes back to the pool), then ``then``."""

    def script(conn: Connection) -> None:
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
    assert server.connections == 1  # the trickle came on the stream's connection


async def test_stream_idle_timeout_holds_on_a_connection_a_stream_used_before() -> None:
    with HostileServer(stream_then(hostile.endless_1xx)) as server:
        async with client_of(server, stream_idle_timeout=0.5) as client:
            await read_stream(client)
            with pytest.raises(APITimeoutError, match=r"stream_idle_timeout=0\.5s"):
                await read_stream(client)
    assert server.connections == 1
