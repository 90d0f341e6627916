"""The hand-written twins that bound and finish a body's reading."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from pareta._twins import aunwind, drain, unwind


class Network:
    """A network stream that records the timeout of each read, and who asked."""

    def __init__(self) -> None:
        self.reads: list[tuple[str, float | None]] = []

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.reads.append((threading.current_thread().name, timeout))
        return b"x"


def response_on(network: Network | None) -> httpx.Response:
    extensions: dict[str, Any] = {} if network is None else {"network_stream": network}
    return httpx.Response(200, extensions=extensions)


def test_the_sync_drain_bounds_only_its_own_reads() -> None:
    network = Network()

    def body() -> Iterator[bytes]:
        yield network.read(1024, timeout=30.0)
        other = threading.Thread(target=network.read, args=(1024, 30.0), name="other")
        other.start()
        other.join()
        yield network.read(1024)

    drain(body(), response_on(network), within=5.0)
    (_, first), (other, unbounded), (_, second) = network.reads
    assert other == "other"
    assert unbounded == 30.0  # another thread's request on the connection keeps its timeout
    assert first is not None
    assert second is not None
    assert 0.0 <= second <= first <= 5.0
    assert "read" not in vars(network)  # the bound is gone once the drain ends


def test_the_sync_drain_reads_nothing_without_a_network_stream() -> None:
    def body() -> Iterator[bytes]:
        raise AssertionError("read a body it could not bound")
        yield b""  # pragma: no cover - makes this a generator

    drain(body(), response_on(None), within=5.0)


def test_the_sync_unwind_closes_the_iterator() -> None:
    closed = []

    def body() -> Iterator[bytes]:
        try:
            yield b"x"
            yield b"y"
        finally:
            closed.append(True)

    chunks = body()
    next(chunks)
    unwind(chunks, within=5.0)
    assert closed == [True]
    unwind(iter([b"x"]), within=5.0)  # a plain iterator has nothing to close


@pytest.mark.anyio
async def test_unwinding_a_body_that_never_ends_gives_up() -> None:
    closed = []

    async def forever() -> AsyncIterator[bytes]:
        try:
            while True:
                yield b"x"
        finally:
            closed.append(True)

    chunks = forever()
    await chunks.__anext__()
    await aunwind(chunks, within=0.01)
    assert closed == [True]


@pytest.mark.anyio
async def test_unwinding_ignores_what_a_closed_body_raises() -> None:
    async def failing() -> AsyncIterator[bytes]:
        yield b"x"
        raise httpx.ReadError("the connection is closed")

    chunks = failing()
    await chunks.__anext__()
    await aunwind(chunks, within=5.0)
    with pytest.raises(StopAsyncIteration):
        await chunks.__anext__()


class Ended:
    """An async iterator that is not a generator: nothing to close."""

    def __aiter__(self) -> Ended:
        return self

    async def __anext__(self) -> bytes:
        raise StopAsyncIteration


@pytest.mark.anyio
async def test_unwinding_an_iterator_without_aclose() -> None:
    await aunwind(Ended(), within=5.0)
