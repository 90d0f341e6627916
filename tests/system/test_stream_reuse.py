"""After ``[DONE]`` a stream reads the end of the body, so its connection is reused.

The read is bounded (``DRAIN_S``): a server that holds the response open after its last
event ends the stream all the same, and one that cuts the connection there loses nothing.
The async client bounds it with a cancel scope, the sync client with a timeout on each
read of the socket.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest

from pareta import AsyncPareta, Pareta
from pareta._async import _streaming
from pareta._async._transport import ShardStats
from pareta.local import LocalServer
from tests.helpers import (
    API_KEY,
    BASE_URL,
    Chunks,
    Recorder,
    pool_stats,
    sse_data,
    sse_response,
    transport,
)

MESSAGES = [{"role": "user", "content": "Summarise the contract."}]
CHUNKS = [{"id": "c", "choices": [{"index": 0, "delta": {"content": "ok"}}]}] * 3


@pytest.fixture(scope="module")
def local() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


@pytest.mark.anyio
async def test_consecutive_async_streams_share_one_connection(local: LocalServer) -> None:
    async with AsyncPareta(api_key=local.mint_key(), base_url=local.base_url) as pa:
        network_streams = []  # kept alive, so that no two can share an id()
        for _ in range(3):
            stream = await pa.chat.completions.create(
                model="ep_contract_kie", messages=MESSAGES, stream=True
            )
            assert [chunk async for chunk in stream]
            assert stream.response is not None
            network_streams.append(stream.response.extensions["network_stream"])
            assert pool_stats(pa) == [ShardStats(requests=0, busy=0, idle=1)]
        assert len({id(network_stream) for network_stream in network_streams}) == 1


def test_consecutive_sync_streams_share_one_connection(local: LocalServer) -> None:
    with Pareta(api_key=local.mint_key(), base_url=local.base_url) as pa:
        network_streams = []  # kept alive, so that no two can share an id()
        for _ in range(3):
            stream = pa.chat.completions.create(
                model="ep_contract_kie", messages=MESSAGES, stream=True
            )
            assert list(stream)
            assert stream.response is not None
            network_streams.append(stream.response.extensions["network_stream"])
            assert pool_stats(pa) == [ShardStats(requests=0, busy=0, idle=1)]
        assert len({id(network_stream) for network_stream in network_streams}) == 1


class HoldsOpenAfterDone:
    """A raw HTTP/1.1 server that streams chunks and ``[DONE]``, then neither ends the
    chunked body nor closes the connection, until the client does."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.client_closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        connection, _ = self._listener.accept()
        with connection:
            while b"\r\n\r\n" not in connection.recv(65536):
                pass  # the request is small: its head is all the server needs
            body = sse_data(*CHUNKS)
            head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            connection.sendall(head + b"transfer-encoding: chunked\r\n\r\n")
            connection.sendall(b"%x\r\n%s\r\n" % (len(body), body))
            while connection.recv(65536):
                pass  # wait for the client to close its end
        self.client_closed.set()

    def close(self) -> None:
        self._listener.close()
        self._thread.join(10)


def test_a_sync_stream_held_open_after_done_still_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_streaming, "DRAIN_S", 0.01)
    server = HoldsOpenAfterDone()
    # No read timeout: only the drain's own bound can end the wait after [DONE].
    pa = Pareta(api_key=API_KEY, base_url=server.base_url, timeout=httpx.Timeout(None))
    got: list[Any] = []
    reader = threading.Thread(
        target=lambda: got.extend(
            chunk.to_dict()
            for chunk in pa.chat.completions.create(model="ep_1", messages=MESSAGES, stream=True)
        )
    )
    reader.start()
    reader.join(10)  # a drain that does not end fails here instead of stalling the suite
    assert not reader.is_alive()
    assert got == CHUNKS
    assert pool_stats(pa) == [ShardStats(requests=0, busy=0, idle=0)]  # closed, not reused
    assert server.client_closed.wait(10)
    pa.close()
    server.close()


class HeldOpen(Chunks):
    """A body whose server sends ``[DONE]`` and then neither ends nor says anything."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        await anyio.sleep_forever()

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        raise AssertionError("the sync client read past [DONE]")


def held_open_client(body: Chunks) -> AsyncPareta:
    recorder = Recorder(sse_response(body))
    http_client = httpx.AsyncClient(transport=transport(recorder))
    return AsyncPareta(api_key=API_KEY, base_url=BASE_URL, http_client=http_client)


@pytest.mark.anyio
async def test_a_body_held_open_after_done_still_ends_the_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_streaming, "DRAIN_S", 0.01)
    body = HeldOpen([sse_data(*CHUNKS)])
    stream = await held_open_client(body).chat.completions.create(
        model="ep_1", messages=MESSAGES, stream=True
    )
    with anyio.fail_after(10):  # a hang fails here instead of stalling the suite
        chunks = [chunk.to_dict() async for chunk in stream]
    assert chunks == CHUNKS
    assert body.closed


def test_the_sync_client_does_not_read_past_done() -> None:
    body = HeldOpen([sse_data(*CHUNKS)])
    recorder = Recorder(sse_response(body))
    pa = Pareta(
        api_key=API_KEY, base_url=BASE_URL, http_client=httpx.Client(transport=transport(recorder))
    )
    stream = pa.chat.completions.create(model="ep_1", messages=MESSAGES, stream=True)
    assert [chunk.to_dict() for chunk in stream] == CHUNKS
    assert body.closed


@pytest.mark.anyio
async def test_a_connection_cut_after_done_loses_nothing() -> None:
    body = Chunks([sse_data(*CHUNKS), b"data: ignored\n\n"], fail_after=1)
    stream = await held_open_client(body).chat.completions.create(
        model="ep_1", messages=MESSAGES, stream=True
    )
    assert [chunk.to_dict() async for chunk in stream] == CHUNKS
    assert body.reads == 2  # the drain reached the cut, which raised and was absorbed
    assert body.closed


@pytest.mark.anyio
async def test_events_after_done_are_read_and_ignored() -> None:
    body = Chunks([sse_data(*CHUNKS), sse_data(CHUNKS[0], done=False)])
    stream = await held_open_client(body).chat.completions.create(
        model="ep_1", messages=MESSAGES, stream=True
    )
    assert [chunk.to_dict() async for chunk in stream] == CHUNKS
    assert body.reads == 2
    assert body.closed
