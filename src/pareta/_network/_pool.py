"""httpcore's connection pool on the running event loop's own I/O and primitives.

httpcore asks which library runs the loop (``sniffio``) again and again per request: for
each connection's event, each shield, each lock. It then takes anyio's generic lock,
which passes through the scheduler even when nobody else holds it, and reads through
anyio's generic streams. This pool asks once, when it sends its first request, and from
then on uses that library's backend (see ``_asyncio`` and ``_trio``): its sockets, a lock
that costs nothing uncontended, a connection event allocated only if someone waits, and
a shield only around clean-up that may wait.

The request flow is httpcore 1.0's own (``AsyncConnectionPool.handle_async_request``),
with those primitives in place of its own; subclasses still see the same
``_assign_requests_to_connections`` and ``_connections``/``_requests`` state.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpcore
from httpcore._async.connection_pool import AsyncPoolRequest


class _Waiter(Protocol):
    def set(self) -> None: ...

    async def wait(self, timeout: float | None) -> None: ...


class LoopBackend(Protocol):
    """A network backend that also makes the primitives its event loop's pools use."""

    def lock(self) -> Any: ...

    def shield(self) -> Any: ...

    def waiter(self) -> _Waiter: ...


def loop_backend() -> httpcore.AsyncNetworkBackend:
    """The backend for the library running this task's event loop."""
    from anyio.lowlevel import current_token

    anyio_backend = current_token().backend_class
    if anyio_backend.__module__.endswith("_trio"):
        from ._trio import TrioBackend

        return TrioBackend()
    from ._asyncio import AsyncioBackend

    return AsyncioBackend(anyio_backend)


class _PoolRequest(AsyncPoolRequest):
    """httpcore's queued request, waiting on the backend's waiter."""

    def __init__(self, request: httpcore.Request, backend: LoopBackend) -> None:
        self.request = request
        self.connection = None
        self._backend = backend
        self._acquired = backend.waiter()

    def assign_to_connection(self, connection: httpcore.AsyncConnectionInterface | None) -> None:
        self.connection = connection
        self._acquired.set()

    def clear_connection(self) -> None:  # pragma: no cover - see handle_async_request
        self.connection = None
        self._acquired = self._backend.waiter()

    async def wait_for_connection(
        self, timeout: float | None = None
    ) -> httpcore.AsyncConnectionInterface:
        if self.connection is None:
            await self._acquired.wait(timeout)
        assert self.connection is not None
        return self.connection


_HTTPCORE_FLOW = httpcore.AsyncConnectionPool.handle_async_request


class AsyncNativePool(httpcore.AsyncConnectionPool):
    """httpcore's pool, bound at its first request to the event loop's own backend."""

    _backend: Any = None

    def _bind(self) -> Any:
        self._backend = self._network_backend = loop_backend()
        return self._backend

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        if (
            httpcore.AsyncConnectionPool.handle_async_request is not _HTTPCORE_FLOW
            or request.url.scheme not in (b"http", b"https")
        ):
            # httpcore's own flow: patched by a mock library (respx's using="httpcore"),
            # or its own messages for a missing or unknown scheme.
            return await httpcore.AsyncConnectionPool.handle_async_request(self, request)
        backend = self._backend or self._bind()
        timeout = request.extensions.get("timeout", {}).get("pool", None)
        pool_request = _PoolRequest(request, backend)
        self._requests.append(pool_request)
        try:
            while True:
                await self._close_connections(self._assign_requests_to_connections())
                connection = await pool_request.wait_for_connection(timeout)
                try:
                    response = await connection.handle_async_request(request)
                except httpcore.ConnectionNotAvailable:  # pragma: no cover
                    # httpcore's own retry, for a connection lent to this request that can
                    # no longer take it (an HTTP/2 connection that began closing).
                    pool_request.clear_connection()
                else:
                    break
        except BaseException:
            self._requests.remove(pool_request)
            await self._close_connections(self._assign_requests_to_connections())
            raise
        return httpcore.Response(
            status=response.status,
            headers=response.headers,
            content=_PoolStream(response.stream, pool_request, self),
            extensions=response.extensions,
        )

    def create_connection(self, origin: httpcore.Origin) -> httpcore.AsyncConnectionInterface:
        if self._proxy is not None or self._backend is None:
            return super().create_connection(origin)
        return _HTTPConnection(
            self._backend,
            origin=origin,
            ssl_context=self._ssl_context,
            keepalive_expiry=self._keepalive_expiry,
            http1=self._http1,
            http2=self._http2,
            retries=self._retries,
            local_address=self._local_address,
            uds=self._uds,
            network_backend=self._network_backend,
            socket_options=self._socket_options,
        )

    async def _close_connections(self, closing: list[httpcore.AsyncConnectionInterface]) -> None:
        if closing:
            with self._backend.shield():
                for connection in closing:
                    await connection.aclose()


class _HTTPConnection(httpcore.AsyncHTTPConnection):
    """httpcore's connection, opening HTTP/1.1 under the backend's locks; once open, its
    requests skip the lock that guards opening. (HTTP/2, which the SDK never asks for,
    keeps httpcore's own flow.)"""

    def __init__(self, backend: LoopBackend, **options: Any) -> None:
        super().__init__(**options)
        self._backend = backend
        self._request_lock = backend.lock()

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        if self._http2 or not self.can_handle_request(request.url.origin):
            return await super().handle_async_request(request)
        if self._connection is None:
            await self._open(request)
        assert self._connection is not None
        return await self._connection.handle_async_request(request)

    async def _open(self, request: httpcore.Request) -> None:
        # httpcore's own opening (AsyncHTTPConnection.handle_async_request), for HTTP/1.1.
        try:
            async with self._request_lock:
                # The pool lends an HTTP/1.1 connection to one request at a time.
                if self._connection is None:  # pragma: no branch
                    stream = await self._connect(request)
                    connection = httpcore.AsyncHTTP11Connection(
                        origin=self._origin, stream=stream, keepalive_expiry=self._keepalive_expiry
                    )
                    connection._state_lock = self._backend.lock()
                    self._connection = connection
        except BaseException:
            self._connect_failed = True
            raise


class _PoolStream:
    """A response body that hands its connection back to the pool when closed."""

    def __init__(self, stream: Any, pool_request: _PoolRequest, pool: AsyncNativePool) -> None:
        self._stream = stream
        self._pool_request = pool_request
        self._pool = pool
        self._closed = False

    def __aiter__(self) -> _PoolStream:
        # An iterator, not an async generator: one generator fewer for each response.
        self._parts = self._stream.__aiter__()
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self._parts.__anext__()  # type: ignore[no-any-return]
        except StopAsyncIteration:
            raise
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        pool = self._pool
        with pool._backend.shield():
            await self._stream.aclose()
        pool._requests.remove(self._pool_request)
        await pool._close_connections(pool._assign_requests_to_connections())
