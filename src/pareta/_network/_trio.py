"""httpcore's network interface on trio's own sockets.

trio's streams make every read and write a checkpoint with a cancel scope around it. Here
a read or write is tried on the socket first, and waits for readiness (trio's
``wait_readable``/``wait_writable``, under a deadline only when there is a timeout) only
when the socket is not ready. TLS goes through trio's own ``SSLStream``.
"""

from __future__ import annotations

import contextlib
import math
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

import httpcore
import trio
from httpcore._utils import is_socket_readable

SocketOption = Any  # httpcore's SOCKET_OPTION: a tuple for socket.setsockopt
# What a wait that times out, and one whose socket another task closed, raise.
_READING = (httpcore.ReadTimeout, httpcore.ReadError)
_WRITING = (httpcore.WriteTimeout, httpcore.WriteError)
# Writes smaller than this wait for the next read (a request's head and body then leave in
# one send: a send on loopback costs more than the rest of a small request's writing).
_COALESCE = 64 * 1024
# How an HTTP/2 connection without TLS begins (over TLS it runs on httpcore's own stream).
_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n"


async def _ready(
    wait: Callable[[socket.socket], Awaitable[None]],
    sock: socket.socket,
    timeout: float | None,
    late: type[Exception],
    broken: type[Exception],
) -> None:
    """Until ``sock`` is ready; ``late`` after ``timeout``, ``broken`` if it is closed."""
    try:
        if timeout is None:
            await wait(sock)
            return
        with trio.CancelScope(deadline=trio.current_time() + timeout) as scope:
            await wait(sock)
    except trio.ClosedResourceError as exc:  # closed by another task while waiting
        raise broken("the connection is closed") from exc
    if scope.cancelled_caught:
        raise late("timed out")


class TrioStream(httpcore.AsyncNetworkStream):
    """One plain TCP (or Unix) connection: a non-blocking socket, read and written directly.

    On HTTP/1.1, where one task writes a request and then reads its answer, a small write
    is held until the next read, a large write, TLS or the close, whichever comes first,
    and then sent within the timeout of the write that began the hold. An HTTP/2
    connection, whose tasks read and write at the same time, is never held: another
    task's answer may depend on bytes a read has not sent yet."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._held: list[bytes] = []
        self._held_bytes = 0
        self._held_timeout: float | None = None
        self._hold: bool | None = None  # known at the first write

    def _take_held(self) -> bytes:
        held, self._held, self._held_bytes = self._held, [], 0
        return held[0] if len(held) == 1 else b"".join(held)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._held:
            await self._send(self._take_held(), self._held_timeout)
        sock = self._sock
        while True:
            try:
                return sock.recv(max_bytes)
            except BlockingIOError:
                pass
            except OSError as exc:
                raise httpcore.ReadError(str(exc)) from exc
            await _ready(trio.lowlevel.wait_readable, sock, timeout, *_READING)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._sock.fileno() < 0:
            raise httpcore.WriteError("the connection is closed")
        if self._hold is None:
            self._hold = not buffer.startswith(_HTTP2_PREFACE)
        if self._hold and self._held_bytes + len(buffer) < _COALESCE:
            if not self._held:
                self._held_timeout = timeout
            self._held.append(buffer)
            self._held_bytes += len(buffer)
            return
        if self._held:
            await self._send(self._take_held(), self._held_timeout)
        await self._send(buffer, timeout)

    async def _send(self, buffer: bytes, timeout: float | None) -> None:
        sock = self._sock
        view = memoryview(buffer)
        while view:
            try:
                view = view[sock.send(view) :]
                continue
            except BlockingIOError:
                pass
            except OSError as exc:
                raise httpcore.WriteError(str(exc)) from exc
            await _ready(trio.lowlevel.wait_writable, sock, timeout, *_WRITING)

    async def aclose(self) -> None:
        if self._held and self._sock.fileno() >= 0:
            with contextlib.suppress(OSError):  # what fits now, as a close would have sent
                self._sock.send(self._take_held())
        if self._sock.fileno() >= 0:
            # Wakes, with ClosedResourceError, any task still waiting on this socket.
            trio.lowlevel.notify_closing(self._sock)
            self._sock.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        # TLS records need trio's SSLStream: httpcore's own trio stream drives it.
        from httpcore._backends.trio import TrioStream as TrioTLSStream

        if self._held:  # what was written goes before the handshake, in the clear
            await self._send(self._take_held(), self._held_timeout)
        plain = trio.SocketStream(trio.socket.from_stdlib_socket(self._sock))
        return await TrioTLSStream(plain).start_tls(ssl_context, server_hostname, timeout)

    def get_extra_info(self, info: str) -> Any:
        sock = self._sock
        if info == "client_addr":
            return sock.getsockname()
        if info == "server_addr":
            return sock.getpeername()
        if info == "socket":
            return sock
        if info == "is_readable":
            return is_socket_readable(sock)
        return None


class TrioBackend(httpcore.AsyncNetworkBackend):
    """Connections on trio's sockets; the lock and shield its pools use."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        with _connecting(timeout):
            stream = await trio.open_tcp_stream(host, port, local_address=local_address)
        return _native(stream, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        with _connecting(timeout):
            stream = await trio.open_unix_socket(path)
        return _native(stream, socket_options)

    async def sleep(self, seconds: float) -> None:
        await trio.sleep(seconds)

    @staticmethod
    def lock() -> TrioLock:
        return TrioLock()

    @staticmethod
    def shield() -> trio.CancelScope:
        return trio.CancelScope(shield=True)

    @staticmethod
    def waiter() -> TrioWaiter:
        return TrioWaiter()


@contextlib.contextmanager
def _connecting(timeout: float | None) -> Iterator[None]:
    deadline = math.inf if timeout is None else trio.current_time() + timeout
    try:
        with trio.CancelScope(deadline=deadline) as scope:
            yield
    except OSError as exc:
        raise httpcore.ConnectError(str(exc)) from exc
    if scope.cancelled_caught:
        raise httpcore.ConnectTimeout("timed out")


def _native(stream: trio.SocketStream, socket_options: Iterable[SocketOption] | None) -> TrioStream:
    # The socket itself, out of trio's wrapper: its reads and writes are tried directly.
    trio_socket = stream.socket
    sock = socket.socket(
        trio_socket.family, trio_socket.type, trio_socket.proto, fileno=trio_socket.detach()
    )
    sock.setblocking(False)
    for option in socket_options or ():
        sock.setsockopt(*option)
    return TrioStream(sock)


class TrioLock:
    """A lock whose uncontended acquire does not pass through the scheduler."""

    __slots__ = ("_held", "_waiting")

    def __init__(self) -> None:
        self._held = False
        self._waiting = trio.lowlevel.ParkingLot()

    async def __aenter__(self) -> None:
        while self._held:
            await self._waiting.park()
        self._held = True

    async def __aexit__(self, *exc_info: object) -> None:
        self._held = False
        self._waiting.unpark()


class TrioWaiter:
    """Wakes the request waiting for a connection; allocates nothing unless one waits.

    The pool lends a connection before it calls ``set``, and a request waits only while
    it has none: ``set`` never comes before ``wait``."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event: trio.Event | None = None

    def set(self) -> None:
        if self._event is not None:
            self._event.set()

    async def wait(self, timeout: float | None) -> None:
        self._event = trio.Event()
        deadline = math.inf if timeout is None else trio.current_time() + timeout
        with trio.CancelScope(deadline=deadline) as scope:
            await self._event.wait()
        if scope.cancelled_caught:
            raise httpcore.PoolTimeout("timed out waiting for a connection")
