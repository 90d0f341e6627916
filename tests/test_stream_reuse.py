"""After ``[DONE]`` an async stream reads the end of the body, so its connection is reused.

The read is bounded (``DRAIN_S``): a server that holds the response open after its last
event ends the stream all the same, and one that cuts the connection there loses nothing.
The sync client cannot bound a blocking read, so it closes the connection instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

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
async def test_consecutive_streams_share_one_connection(local: LocalServer) -> None:
    async with AsyncPareta(api_key=local.mint_key(), base_url=local.base_url) as pa:
        network_streams = set()
        for _ in range(3):
            stream = await pa.chat.completions.create(
                model="ep_contract_kie", messages=MESSAGES, stream=True
            )
            assert [chunk async for chunk in stream]
            assert stream.response is not None
            network_streams.add(id(stream.response.extensions["network_stream"]))
            assert pool_stats(pa) == [ShardStats(requests=0, busy=0, idle=1)]
        assert len(network_streams) == 1


def test_the_sync_client_closes_the_connection_after_a_stream(local: LocalServer) -> None:
    with Pareta(api_key=local.mint_key(), base_url=local.base_url) as pa:
        for _ in range(2):
            stream = pa.chat.completions.create(
                model="ep_contract_kie", messages=MESSAGES, stream=True
            )
            assert list(stream)
            assert pool_stats(pa) == [ShardStats(requests=0, busy=0, idle=0)]


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
