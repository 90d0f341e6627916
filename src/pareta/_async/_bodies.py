"""Reading response bodies within the client's limits, decoded in bounded steps."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import httpx

from .._responses import BodyDecoder, LimitExceeded


async def aread_within(
    response: httpx.Response, limit: int, keyword: str, *, truncate: bool = False
) -> None:
    """Read the body into ``response.content``: over ``limit`` decoded bytes it raises
    ``LimitExceeded``, or with ``truncate=True`` keeps the first ``limit`` and stops reading."""
    try:
        content = response.content  # a body already read (a mock transport's)
    except httpx.ResponseNotRead:
        pass
    else:
        if len(content) > limit:
            if not truncate:
                raise LimitExceeded(keyword, limit)
            response._content = content[:limit]
        return
    decoder = BodyDecoder(
        response.headers.get("content-encoding"), limit, keyword, truncate=truncate
    )
    # A BytesIO hands its buffer over without a copy: the body is held once, not twice.
    body = io.BytesIO()
    async for chunk in response.aiter_raw():
        for piece in decoder.decode(chunk):
            body.write(piece)
        if decoder.truncated:
            break
    else:
        body.write(decoder.flush())
    # What ``aread()`` would have stored: ``content``, ``text`` and ``json()`` read it.
    response._content = body.getvalue()


class AsyncDecodedChunks:
    """A compressed stream's bytes, decoded as they arrive, ``max_decoded_bytes`` in all."""

    def __init__(self, raw: AsyncIterator[bytes], decoder: BodyDecoder) -> None:
        self._raw = raw
        self._decoder = decoder
        self._ended = False

    def __aiter__(self) -> AsyncDecodedChunks:
        return self

    async def __anext__(self) -> bytes:
        if self._ended:
            raise StopAsyncIteration
        try:
            chunk = await anext(self._raw)
        except StopAsyncIteration:
            self._ended = True
            return bytes(self._decoder.flush())
        return b"".join(self._decoder.decode(chunk))
