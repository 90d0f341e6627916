"""Closing a stream from another task, or another thread, while one reads it.

The reader's loop ends quietly and the connection is released; the closer does not
fail because the stream's generator is busy in the reader.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest

from pareta import AsyncPareta, Pareta
from tests.helpers import API_KEY, BASE_URL, Chunks, Recorder, sse_data, sse_response, transport

MESSAGES = [{"role": "user", "content": "Summarise the contract."}]
CHUNK = {"id": "c", "choices": [{"index": 0, "delta": {"content": "ok"}}]}


class WaitsForClose(Chunks):
    """A body that sends its chunks, then waits like an open socket until it is closed
    (threads: the sync client)."""

    def __init__(self, chunks: list[bytes]) -> None:
        super().__init__(chunks)
        self.waiting = threading.Event()
        self.closing = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        self.waiting.set()
        self.closing.wait()
        raise httpx.ReadError("the connection was closed while reading")

    def close(self) -> None:
        self.closed = True
        self.closing.set()


class AsyncWaitsForClose(Chunks):
    """The same for tasks (the async client); made inside the test's event loop."""

    def __init__(self, chunks: list[bytes]) -> None:
        super().__init__(chunks)
        self.waiting = anyio.Event()
        self.closing = anyio.Event()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        self.waiting.set()
        await self.closing.wait()
        raise httpx.ReadError("the connection was closed while reading")

    async def aclose(self) -> None:
        self.closed = True
        self.closing.set()


@pytest.mark.anyio
async def test_closing_from_another_task_ends_the_readers_loop() -> None:
    body = AsyncWaitsForClose([sse_data(CHUNK, done=False)])
    http_client = httpx.AsyncClient(transport=transport(Recorder(sse_response(body))))
    pa = AsyncPareta(api_key=API_KEY, base_url=BASE_URL, http_client=http_client)
    stream = await pa.chat.completions.create(model="ep_1", messages=MESSAGES, stream=True)
    got = []

    async def read() -> None:
        async for item in stream:
            got.append(item.to_dict())

    async with anyio.create_task_group() as tg:
        tg.start_soon(read)
        await body.waiting.wait()
        await stream.aclose()  # the reader is inside a read now
    assert got == [CHUNK]
    assert body.closed


def test_closing_from_another_thread_ends_the_readers_loop() -> None:
    body = WaitsForClose([sse_data(CHUNK, done=False)])
    http_client = httpx.Client(transport=transport(Recorder(sse_response(body))))
    pa = Pareta(api_key=API_KEY, base_url=BASE_URL, http_client=http_client)
    stream = pa.chat.completions.create(model="ep_1", messages=MESSAGES, stream=True)
    got: list[dict[str, Any]] = []
    failed: list[BaseException] = []

    def read() -> None:
        try:
            got.extend(item.to_dict() for item in stream)
        except BaseException as exc:  # the assertion below reports it
            failed.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    assert body.waiting.wait(10)
    stream.close()  # the reader is inside a read now
    reader.join(10)
    assert not reader.is_alive()
    assert failed == []
    assert got == [CHUNK]
    assert body.closed
