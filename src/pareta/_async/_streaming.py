"""Server-sent-event streams: chat chunks (data-only) and deploy progress (named events).

A stream sends nothing until iteration starts. The handshake (connect and status line)
goes through the client's retry loop; after the first byte nothing is retried and a
drop raises ``APIConnectionError``. Closing the stream, or leaving the loop through an
exception, releases the connection and finishes every body iterator the stream opened
(see ``_twins.aunwind``). After ``[DONE]`` the stream reads the end of the body, briefly,
so the connection is reused (see ``_twins.adrain``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator
from types import AsyncGeneratorType, TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx
from httpx_sse import ServerSentEvent

from .._exceptions import (
    APIConnectionError,
    APIStreamError,
    ParetaError,
    printable,
    request_id_text,
)
from .._objects.accumulate import final_completion
from .._objects.models import ChatCompletion, ChatCompletionChunk, Usage
from .._objects.raw import noted
from .._responses import BodyDecoder, Breach, connection_error, invalid_response, route
from .._sse import SSEParser
from .._twins import AsyncShieldCancellation, adrain, aunwind
from ._bodies import AsyncDecodedChunks, aread_within
from ._http import AsyncAPIClient

if TYPE_CHECKING:
    from typing_extensions import Self

_T = TypeVar("_T")

# How long a stream may wait, after its last event, for the end of the body (see ``_drain``).
DRAIN_S = 0.1
# What ``_decode`` returns for an event that carries nothing to deliver.
SKIP: Any = object()


class AsyncSSEStream(Generic[_T]):
    _response: httpx.Response | None = None
    _items: AsyncGenerator[_T, None] | None = None
    _done = False

    def __init__(self, client: AsyncAPIClient, request: httpx.Request) -> None:
        self._client = client
        self._request = request

    @property
    def response(self) -> httpx.Response | None:
        """The HTTP response once the stream has started (``None`` before)."""
        return self._response

    @property
    def request_id(self) -> str | None:
        return None if self._response is None else self._response.headers.get("x-request-id")

    def __aiter__(self) -> AsyncIterator[_T]:
        # The loop drives the generator itself: one layer per chunk, not two.
        if self._items is None:
            self._items = self._iterate()
        elif self._done:
            raise ParetaError(
                f"this stream of {self._route} has already ended or been closed: a stream is "
                "read once; make the call again for a new one"
            )
        return self._items

    async def __anext__(self) -> _T:
        if self._items is None:
            self._items = self._iterate()
        return await anext(self._items)

    async def _iterate(self) -> AsyncGenerator[_T, None]:
        if self._done:
            return
        chunks: AsyncIterator[bytes] | None = None
        try:
            response = self._response or await self._start()
            bounds = self._client.bounds
            parser = SSEParser(bounds.max_event_bytes, bounds.stream_idle_timeout)
            chunks = self._chunks(response)
            async for data in chunks:
                for event in parser.feed(data):
                    if not event.data:
                        continue  # keep-alives, a lone id or retry: nothing to deliver
                    item = self._decode(event)
                    if item is None:  # the stream's own end marker
                        await self._drain(chunks, response)
                        return
                    if item is SKIP:
                        continue
                    yield item
            self._end_of_stream()
        except httpx.TransportError as exc:
            if self._done:
                return  # closed by ``aclose()`` from another task: the stream simply ends
            raise connection_error(exc, self._route) from exc
        except Breach as exc:
            assert self._response is not None
            raise exc.error(self._response) from None
        finally:
            # The end of the stream, an error, a cancellation or ``aclose()``.
            self._done = True
            await self._release(chunks)

    async def _drain(self, chunks: AsyncIterator[bytes], response: httpx.Response) -> None:
        # After the last event only the end of the body should follow; reading it lets
        # the connection go back to the pool instead of being closed with the response.
        # A server that cuts the connection there has sent everything: nothing is lost.
        with contextlib.suppress(httpx.HTTPError):
            await adrain(chunks, response, DRAIN_S)

    def _chunks(self, response: httpx.Response) -> AsyncIterator[bytes]:
        # A body given up front (``httpx.Response(200, content=...)``, as httpx teaches
        # testing) is already in memory and cannot be read raw. Raw bytes skip httpx's
        # decoder layer; a compressed stream is decoded in bounded steps, up to
        # ``max_decoded_bytes`` in all.
        if response.is_stream_consumed:
            return response.aiter_bytes()
        raw = response.aiter_raw()
        encoding = response.headers.get("content-encoding")
        if encoding is None:
            return raw
        limit = self._client.bounds.max_decoded_bytes
        return AsyncDecodedChunks(raw, BodyDecoder(encoding, limit, "max_decoded_bytes"))

    async def _open(self) -> httpx.Response:
        """The handshake now rather than at the first read (a raw response's headers)."""
        try:
            return await self._start()
        except BaseException:
            await self.aclose()  # a failed handshake ends the stream, as in iteration
            raise

    async def _start(self) -> httpx.Response:
        response = await self._client.send(self._request, stream=True)
        self._response = response
        noted(response)
        content_type = response.headers.get("content-type", "")
        if "text/event-stream" not in content_type:
            # A few KiB say what the server sent; the rest is never read.
            await aread_within(response, self._client.bounds.max_error_bytes, "", truncate=True)
            raise invalid_response(
                response, f"content type {content_type!r} where an event stream was expected"
            )
        return response

    @property
    def _route(self) -> str:
        return route(self._request)

    def _load(self, event: ServerSentEvent) -> Any:
        try:
            return json.loads(event.data)
        except (ValueError, RecursionError):
            assert self._response is not None
            raise invalid_response(
                self._response, f"an event that is not valid JSON: {event.data[:80]!r}"
            ) from None

    def _decode(self, event: ServerSentEvent) -> _T | None:
        """The item an event carries, or ``None`` for the event that ends the stream."""
        raise NotImplementedError

    def _end_of_stream(self) -> None:
        """Called when the server closes the stream; raises if it closed too early."""

    async def aclose(self) -> None:
        """Stop reading and release the connection. Safe to call more than once."""
        self._done = True
        items = self._items
        try:
            # Closed from another task while one reads: closing the response ends its read.
            if isinstance(items, AsyncGeneratorType) and not items.ag_running:
                await items.aclose()
        finally:
            await self._release()

    async def _release(self, chunks: AsyncIterator[bytes] | None = None) -> None:
        # Only the task reading the body passes its iterator: nothing else may resume it.
        with AsyncShieldCancellation():
            if self._response is not None:
                await self._response.aclose()
            if chunks is not None:
                await aunwind(chunks, DRAIN_S)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class AsyncStream(AsyncSSEStream[ChatCompletionChunk]):
    """The chunks of a streamed chat completion; ends on the server's ``[DONE]``.

    A chunk without choices (the ``usage`` chunk of ``stream_options={"include_usage":
    True}``) is not delivered, so ``chunk.choices[0]`` holds in every loop; its usage is
    ``stream.usage``. An ``error`` event, or a chunk whose ``error`` is set, raises
    ``APIStreamError`` with the server's error as ``detail``.

    Besides iterating the chunks: ``text_deltas()`` iterates their text, and
    ``get_final_completion()`` returns the ``ChatCompletion`` they add up to. Both read
    on from where the stream is, so they mix with a loop over the chunks."""

    _usage: Usage | None = None

    @property
    def usage(self) -> Usage | None:
        """The token counts the server sent in the stream (its last ``usage``), or ``None``."""
        return self._usage

    def __init__(self, client: AsyncAPIClient, request: httpx.Request) -> None:
        super().__init__(client, request)
        # Every chunk read, so the final completion never needs a second read.
        self._read: list[ChatCompletionChunk] = []

    def text_deltas(self) -> AsyncTextDeltas:
        """The text of each chunk as it arrives (``choices[0].delta.content``; chunks
        without text are skipped): ``async for text in stream.text_deltas():``."""
        return AsyncTextDeltas(self)

    async def get_final_completion(self) -> ChatCompletion:
        """The ``ChatCompletion`` the chunks add up to: each choice's text, role and
        ``finish_reason``, the ``usage`` the server reported, the ``id`` and ``model``.

        Reads what is left of the stream first (a stream closed early gives what was
        read). Its ``request_id`` is the stream's."""
        if not self._done:
            async for _ in self:
                pass
        completion = final_completion(self._read)
        completion._rid = self.request_id
        return completion

    def _decode(self, event: ServerSentEvent) -> ChatCompletionChunk | None:
        if event.data == "[DONE]":
            return None
        if event.event == "error":
            raise self._error(self._load_error(event))
        chunk = self._load(event)
        if not isinstance(chunk, dict):
            assert self._response is not None
            raise invalid_response(self._response, f"a chunk that is not an object: {chunk!r}")
        if chunk.get("error") is not None:
            raise self._error(chunk["error"])
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self._usage = Usage(usage)
        item = ChatCompletionChunk(chunk)
        self._read.append(item)  # the usage chunk too: the final completion counts it
        return item if item.choices else SKIP

    def _load_error(self, event: ServerSentEvent) -> Any:
        try:
            error = json.loads(event.data)
        except (ValueError, RecursionError):
            return event.data  # an error in plain text is still the server's error
        return error["error"] if isinstance(error, dict) and "error" in error else error

    def _error(self, error: Any) -> APIStreamError:
        message = error.get("message") if isinstance(error, dict) else error
        return APIStreamError(
            printable(
                f"{self._route} reported an error mid-stream: {message} "
                f"(request id {request_id_text(self.request_id)})"
            ),
            detail=error,
            request_id=self.request_id,
        )

    def _end_of_stream(self) -> None:
        raise APIConnectionError(
            f"connection error: {self._route} ended before [DONE] "
            f"(request id {request_id_text(self.request_id)})"
        )


class AsyncTextDeltas:
    """The text pieces of a chat stream (an iterator object: nothing is left suspended
    when a loop over it stops early)."""

    def __init__(self, stream: AsyncStream) -> None:
        self._chunks = stream.__aiter__()

    def __aiter__(self) -> AsyncTextDeltas:
        return self

    async def __anext__(self) -> str:
        while True:
            choices = (await anext(self._chunks)).choices
            if choices:
                text = choices[0].delta.content
                if text:
                    return text


class AsyncDeployStream(AsyncSSEStream[dict[str, Any]]):
    """Deploy progress as ``{"event": ..., "data": ...}`` dicts, ending on complete or error."""

    _terminal = False

    def _decode(self, event: ServerSentEvent) -> dict[str, Any]:
        if event.event in ("complete", "error"):
            self._terminal = True
        return {"event": event.event, "data": self._load(event)}

    def _end_of_stream(self) -> None:
        if not self._terminal:
            raise APIConnectionError(
                f"connection error: {self._route} ended before a complete or error event "
                f"(request id {request_id_text(self.request_id)})"
            )
