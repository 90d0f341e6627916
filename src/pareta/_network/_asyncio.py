"""httpcore's network interface on asyncio's own transports and protocols.

anyio's generic streams yield to the event loop before every read and write, and put a
cancel scope around each; a request spent a dozen trips through the loop that way. Here
a read returns at once whatever the protocol has buffered, and waits (on one future, with
a timer only if it has a timeout) only when nothing has arrived yet.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import sys
from collections.abc import Awaitable, Iterable
from typing import Any, TypeVar

import anyio
import httpcore
from anyio.abc import AsyncBackend
from httpcore._utils import is_socket_readable

T = TypeVar("T")
SocketOption = Any  # httpcore's SOCKET_OPTION: a tuple for socket.setsockopt

# Reading pauses while this much is buffered and unread, and resumes below a quarter of it.
_HIGH_WATER = 256 * 1024
# Writes smaller than this wait for the end of the loop's turn, so that a request's head and
# body (two writes) leave in one send: a send on loopback costs more than the rest of a
# small request's writing.
_COALESCE = 64 * 1024
# asyncio.TimeoutError is TimeoutError from Python 3.11 on.
_TIMEOUTS = (TimeoutError, asyncio.TimeoutError)


class _Protocol(asyncio.Protocol):
    """Buffers what arrives, and wakes the reader or writer waiting for it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.eof = False
        self.ended = False  # connection_lost has been called
        self.lost: BaseException | None = None  # and the error it ended with, if any
        self.paused = False  # the transport's write buffer is full
        self.reading_paused = False
        self.reader: asyncio.Future[None] | None = None
        self.writer: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > _HIGH_WATER and not self.reading_paused and self.transport:
            self.reading_paused = True
            self.transport.pause_reading()
        _wake(self.reader)

    def eof_received(self) -> bool | None:
        self.eof = True
        _wake(self.reader)
        return None  # the transport closes itself: HTTP/1.1 writes nothing after the end

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.lost = exc
        _wake(self.reader)
        _wake(self.writer)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        _wake(self.writer)

    def take(self, max_bytes: int) -> bytes:
        chunk = self.chunks.popleft()
        if len(chunk) > max_bytes:
            self.chunks.appendleft(chunk[max_bytes:])
            chunk = chunk[:max_bytes]
        self.buffered -= len(chunk)
        if self.reading_paused and self.buffered <= _HIGH_WATER // 4 and self.transport:
            self.reading_paused = False
            self.transport.resume_reading()
        return chunk

    async def readable(self, timeout: float | None) -> None:
        self.reader = asyncio.get_running_loop().create_future()
        try:
            await _wait(self.reader, timeout, httpcore.ReadTimeout)
        finally:
            self.reader = None

    async def writable(self, timeout: float | None) -> None:
        self.writer = asyncio.get_running_loop().create_future()
        try:
            await _wait(self.writer, timeout, httpcore.WriteTimeout)
        finally:
            self.writer = None


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


async def _wait(
    waiter: asyncio.Future[None], timeout: float | None, error: type[Exception]
) -> None:
    """Until ``waiter`` is woken; ``error`` once ``timeout`` passes first."""
    if timeout is None:
        await waiter
        return
    timer = asyncio.get_running_loop().call_later(timeout, _expire, waiter, error)
    try:
        await waiter
    finally:
        timer.cancel()


def _expire(waiter: asyncio.Future[None], error: type[Exception]) -> None:
    if waiter.done():  # pragma: no cover - woken in the loop iteration the timer fired in
        return
    waiter.set_exception(error("timed out"))


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection: an asyncio transport and the protocol that buffers its bytes.

    Small writes are held until the event loop's current turn ends (a callback flushes
    them), or until a read, a large write or the close, whichever comes first: nothing
    waits on them, and a request's head and body go out in one send."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._closed = False
        self._held: list[bytes] = []
        self._held_bytes = 0

    def _flush(self) -> None:
        if self._held:
            held, self._held, self._held_bytes = self._held, [], 0
            if not self._transport.is_closing():
                self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if self._held:
            self._flush()
        while not protocol.chunks:
            if self._closed:
                raise httpcore.ReadError("the connection is closed")
            if protocol.ended or protocol.eof:
                if protocol.lost is not None:
                    raise httpcore.ReadError(str(protocol.lost) or repr(protocol.lost))
                return b""
            await protocol.readable(timeout)
        return protocol.take(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        protocol = self._protocol
        if self._closed or protocol.ended or self._transport.is_closing():
            raise httpcore.WriteError(str(protocol.lost or "the connection is closed"))
        if not protocol.paused and self._held_bytes + len(buffer) < _COALESCE:
            if not self._held:
                asyncio.get_running_loop().call_soon(self._flush)
            self._held.append(buffer)
            self._held_bytes += len(buffer)
            return
        self._flush()
        self._transport.write(buffer)
        while protocol.paused and not protocol.ended:
            await protocol.writable(timeout)
        if protocol.ended:
            raise httpcore.WriteError(str(protocol.lost or "the connection was closed"))

    async def aclose(self) -> None:
        if self._closed:
            return
        self._flush()
        self._closed = True
        transport = self._transport
        # A TLS transport sends its close_notify, then drops the socket without waiting for
        # the peer's answer (which a server may never send).
        transport.close()
        if transport.get_extra_info("ssl_object") is not None:
            transport.abort()
        _wake(self._protocol.reader)
        _wake(self._protocol.writer)

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        self._flush()  # what was written goes before the handshake, in the clear
        try:
            transport = await _within(
                timeout,
                loop.start_tls(
                    self._transport,
                    self._protocol,
                    ssl_context,
                    server_hostname=server_hostname,
                ),
            )
        except _TIMEOUTS as exc:
            self._transport.abort()
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except (OSError, ssl.SSLError) as exc:
            self._transport.abort()
            raise httpcore.ConnectError(str(exc)) from exc
        assert isinstance(transport, asyncio.Transport)
        self._protocol.transport = transport
        return AsyncioStream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        transport = self._transport
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        if info == "socket":
            return transport.get_extra_info("socket")
        if info == "is_readable":
            # What the protocol holds counts, and so does what the loop has yet to read.
            protocol = self._protocol
            if protocol.chunks or protocol.eof or protocol.ended or self._closed:
                return True
            return is_socket_readable(transport.get_extra_info("socket"))
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Connections on asyncio's transports; the lock and shield its pools use."""

    def __init__(self, anyio_backend: type[AsyncBackend]) -> None:
        self._anyio = anyio_backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = None if local_address is None else (local_address, 0)
        opening = loop.create_connection(_Protocol, host, port, local_addr=local)
        return await _connected(timeout, opening, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        opening = asyncio.get_running_loop().create_unix_connection(_Protocol, path)
        return await _connected(timeout, opening, socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    @staticmethod
    def lock() -> asyncio.Lock:
        """A lock that takes no trip through the loop when nobody holds it."""
        return asyncio.Lock()

    def shield(self) -> anyio.CancelScope:
        """Protects clean-up from the cancel scopes (anyio's, the SDK's deadline) around it."""
        # anyio's own backend makes the scope: ``anyio.CancelScope()`` would first ask,
        # again, which library runs this loop.
        return self._anyio.create_cancel_scope(shield=True)

    @staticmethod
    def waiter() -> AsyncioWaiter:
        return AsyncioWaiter()


class AsyncioWaiter:
    """Wakes the request waiting for a connection; allocates nothing unless one waits.

    The pool lends a connection before it calls ``set``, and a request waits only while
    it has none: ``set`` never comes before ``wait``."""

    __slots__ = ("_future",)

    def __init__(self) -> None:
        self._future: asyncio.Future[None] | None = None

    def set(self) -> None:
        _wake(self._future)

    async def wait(self, timeout: float | None) -> None:
        self._future = asyncio.get_running_loop().create_future()
        await _wait(self._future, timeout, httpcore.PoolTimeout)


async def _connected(
    timeout: float | None,
    opening: Awaitable[tuple[asyncio.BaseTransport, asyncio.BaseProtocol]],
    socket_options: Iterable[SocketOption] | None,
) -> AsyncioStream:
    try:
        transport, protocol = await _within(timeout, opening)
    except _TIMEOUTS as exc:
        raise httpcore.ConnectTimeout(str(exc)) from exc
    except OSError as exc:
        raise httpcore.ConnectError(str(exc)) from exc
    assert isinstance(transport, asyncio.Transport)
    assert isinstance(protocol, _Protocol)
    sock = transport.get_extra_info("socket")
    for option in socket_options or ():
        sock.setsockopt(*option)
    return AsyncioStream(transport, protocol)


async def _within(timeout: float | None, step: Awaitable[T]) -> T:
    """``step``, or ``TimeoutError`` after ``timeout`` seconds."""
    if timeout is None:
        return await step
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(timeout):
            return await step
    return await asyncio.wait_for(step, timeout)  # pragma: no cover - Python 3.10 only
