"""Optional engines for the async client.

``AiohttpTransport`` (extra ``pareta[aiohttp]``) is an httpx transport on aiohttp's
HTTP engine, for asyncio programs that want the lowest client CPU per request::

    import httpx
    from pareta import AsyncPareta
    from pareta.transports import AiohttpTransport

    async with httpx.AsyncClient(transport=AiohttpTransport()) as http:
        client = AsyncPareta(api_key=..., http_client=http)

It runs on asyncio only: used under trio it raises ``RuntimeError`` at once rather
than hanging. Retries, errors, streams and everything else behave as with the default
transport, since the SDK still speaks httpx.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from typing import Any

import httpx

try:
    import aiohttp
except ImportError as exc:  # pragma: no cover  # exercised in a subprocess test
    raise ImportError(
        'pareta.transports needs aiohttp. Install it with: pip install "pareta[aiohttp]"'
    ) from exc

__all__ = ["AiohttpTransport"]


def _require_asyncio() -> None:
    import sniffio

    library = sniffio.current_async_library()
    if library != "asyncio":
        raise RuntimeError(
            f"AiohttpTransport runs on asyncio only, not {library}; "
            "leave http_client unset to use the default transport, which runs on both"
        )


@functools.lru_cache(maxsize=32)
def _client_timeout(
    pool: float | None, connect: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=None, connect=pool, sock_connect=connect, sock_read=read)


def _timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    # Requests share a handful of timeouts: build each ClientTimeout once.
    timeout: dict[str, float | None] = request.extensions.get("timeout", {})
    return _client_timeout(timeout.get("pool"), timeout.get("connect"), timeout.get("read"))


def _map_error(exc: BaseException, request: httpx.Request) -> httpx.TransportError:
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return httpx.ReadTimeout(str(exc) or "timed out", request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(str(exc), request=request)
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError)):
        return httpx.RemoteProtocolError(str(exc), request=request)
    return httpx.ReadError(str(exc) or type(exc).__name__, request=request)


class _AiohttpStream(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise _map_error(exc, self._request) from exc

    async def aclose(self) -> None:
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends requests with an ``aiohttp.ClientSession``."""

    def __init__(self, *, limits: httpx.Limits | None = None) -> None:
        self._limits = limits or httpx.Limits(max_connections=256)
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._limits.max_connections or 0,
                keepalive_timeout=self._limits.keepalive_expiry or 15.0,
            )
            # httpx decodes content-encoding itself from the headers it is given.
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _require_asyncio()
        session = self._open()
        body = await request.aread()
        headers: Any = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        try:
            response = await session.request(
                request.method,
                str(request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                timeout=_timeout(request),
            )
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise _map_error(exc, request) from exc
        return httpx.Response(
            response.status,
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers],
            stream=_AiohttpStream(response, request),
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
