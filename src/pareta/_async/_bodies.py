"""Reading response bodies within the client's limits, decoded in bounded steps."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator

import httpx

from .._responses import BodyDecoder, LimitExceeded
from .._twins import aunwind

# How long a body cut short may take to end once its response is closed.
UNWIND_S = 0.1


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
    chunks = response.aiter_raw()
    ended = False
    try:
        async for chunk in chunks:
            for piece in decoder.decode(chunk):
                body.write(piece)
            if decoder.truncated:
                break
        else:
            body.write(decoder.flush())
            ended = True
    finally:
        await response.aclose()
        if not ended:
            # Stopped early (a limit, an error): finish the body's generators, so none is
            # left suspended (trio warns about each one collected that way). A body read
            # to its end has none left.
            await aunwind(chunks, UNWIND_S)
    # What ``aread()`` would have stored: ``content``, ``text`` and ``json()`` read it.
    response._content = body.getvalue()


class AsyncDecodedChunks:
    """A compressed stream's bytes, decoded as they arrive, ``max_decoded_bytes`` in all."""

    def __init__(self, raw: AsyncIterator[bytes], decoder: BodyDecoder) -> None:
        self._raw = raw
        self._decoder = decoder
        self._ended = False
        self._broken = False
        # What is left of the network chunk being decoded, one piece per step.
        self._pieces: Iterator[bytes | memoryview] = iter(())

    def __aiter__(self) -> AsyncDecodedChunks:
        return self

    async def aclose(self) -> None:
        """Close the raw body iterator this one reads (a closed stream's clean-up)."""
        aclose = getattr(self._raw, "aclose", None)
        if aclose is not None:
            await aclose()

    async def __anext__(self) -> bytes:
        if self._ended:
            raise StopAsyncIteration
        if not self._broken:
            piece = self._next_piece()
            if piece is not None:
                return piece
        try:
            chunk = await anext(self._raw)
        except StopAsyncIteration:
            self._ended = True
            return b"" if self._broken else bytes(self._decoder.flush())
        if self._broken:
            return b""  # past a limit, the rest of the body is only read to its end
        self._pieces = self._decoder.decode(chunk)
        return self._next_piece() or b""

    def _next_piece(self) -> bytes | None:
        try:
            return bytes(next(self._pieces))
        except StopIteration:
            return None
        except BaseException:
            self._broken = True
            raise
