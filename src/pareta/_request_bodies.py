"""Request bodies that leave nothing behind when a connection drops mid-send.

httpx sends a bytes body through an async generator (``ByteStream.__aiter__``). When a
connection drops or a call is cancelled while the body is being sent, httpcore abandons
that generator half-way, and trio reports each one collected that way as a
``ResourceWarning``: an error in a test suite run with ``-W error``. A plain iterator over
the one ``bytes`` object holds no frame to abandon.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator

import httpx


def multipart_content_type(idempotency_key: str) -> str:
    """A multipart Content-Type whose boundary comes from the request's Idempotency-Key.

    httpx picks a random boundary; deriving it from the key makes a resumed job's
    request byte-identical to the first one, not only equal in content.
    """
    boundary = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"multipart/form-data; boundary={boundary}"


class OneChunk(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that is one ``bytes`` object, sent as many times as it is retried."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def __iter__(self) -> Iterator[bytes]:
        return iter((self._data,))

    def __aiter__(self) -> AsyncIterator[bytes]:
        return _Once(self._data)


class _Once:
    __slots__ = ("_data",)

    def __init__(self, data: bytes | None) -> None:
        self._data = data

    def __aiter__(self) -> _Once:
        return self

    async def __anext__(self) -> bytes:
        data, self._data = self._data, None
        if data is None:
            raise StopAsyncIteration
        return data


def plain_body(request: httpx.Request) -> httpx.Request:
    """``request`` with its bytes body (if that is what it has) in a ``OneChunk``."""
    if isinstance(request.stream, httpx.ByteStream):
        request.stream = OneChunk(request.content)
    return request
