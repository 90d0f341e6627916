"""Server-sent-event streams: chat chunks (data-only) and deploy progress (named events).

A stream sends nothing until iteration starts. The handshake (connect and status line)
goes through the client's retry loop; after the first byte nothing is retried and a
drop raises ``APIConnectionError``. Closing the stream, or leaving the loop through an
exception, releases the connection.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx
from httpx_sse import EventSource, ServerSentEvent

from .._exceptions import APIConnectionError, APIStreamError
from .._models import ChatCompletionChunk
from .._twins import AsyncShieldCancellation
from ._http import AsyncAPIClient, connection_error, invalid_response, route

_T = TypeVar("_T")


class AsyncSSEStream(Generic[_T]):
    _response: httpx.Response | None = None
    _events: AsyncIterator[ServerSentEvent] | None = None
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

    def __aiter__(self) -> AsyncSSEStream[_T]:
        return self

    async def __anext__(self) -> _T:
        if self._done:
            raise StopAsyncIteration
        try:
            events = self._events or await self._start()
            while True:
                try:
                    event = await anext(events)
                except StopAsyncIteration:
                    self._end_of_stream()
                    raise
                item = self._decode(event)
                if item is not None:
                    return item
        except httpx.TransportError as exc:
            await self.aclose()
            raise connection_error(exc, self._route) from exc
        except BaseException:
            # The end of the stream, an error, or a cancellation: release the connection.
            await self.aclose()
            raise

    async def _start(self) -> AsyncIterator[ServerSentEvent]:
        response = await self._client.send(self._request, stream=True)
        self._response = response
        content_type = response.headers.get("content-type", "")
        if "text/event-stream" not in content_type:
            await response.aread()
            raise invalid_response(
                response, f"content type {content_type!r} where an event stream was expected"
            )
        self._events = EventSource(response).aiter_sse()
        return self._events

    @property
    def _route(self) -> str:
        return route(self._request)

    def _load(self, event: ServerSentEvent) -> Any:
        try:
            return json.loads(event.data)
        except ValueError:
            assert self._response is not None
            raise invalid_response(
                self._response, f"an event that is not valid JSON: {event.data[:80]!r}"
            ) from None

    def _decode(self, event: ServerSentEvent) -> _T | None:
        raise NotImplementedError

    def _end_of_stream(self) -> None:
        """Called when the server closes the stream; raises if it closed too early."""

    async def aclose(self) -> None:
        """Stop reading and release the connection. Safe to call more than once."""
        self._done = True
        events, self._events = self._events, None
        response = self._response
        with AsyncShieldCancellation():
            try:
                if events is not None:
                    await events.aclose()  # type: ignore[attr-defined]
            finally:
                if response is not None:
                    await response.aclose()

    async def __aenter__(self) -> AsyncSSEStream[_T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class AsyncStream(AsyncSSEStream[ChatCompletionChunk]):
    """The chunks of a streamed chat completion; ends on the server's ``[DONE]``."""

    def _decode(self, event: ServerSentEvent) -> ChatCompletionChunk | None:
        if event.data == "[DONE]":
            self._done = True
            raise StopAsyncIteration
        chunk = self._load(event)
        if not isinstance(chunk, dict):
            assert self._response is not None
            raise invalid_response(self._response, f"a chunk that is not an object: {chunk!r}")
        if "error" in chunk:
            error = chunk["error"]
            message = error.get("message") if isinstance(error, dict) else error
            raise APIStreamError(
                f"{self._route} reported an error mid-stream: {message} "
                f"(request id {self.request_id})",
                detail=error,
                request_id=self.request_id,
            )
        return ChatCompletionChunk(chunk)

    def _end_of_stream(self) -> None:
        raise APIConnectionError(
            f"connection error: {self._route} ended before [DONE] (request id {self.request_id})"
        )


class AsyncDeployStream(AsyncSSEStream[dict[str, Any]]):
    """Deploy progress as ``{"event": ..., "data": ...}`` dicts, ending on complete or error."""

    _terminal = False

    def _decode(self, event: ServerSentEvent) -> dict[str, Any] | None:
        if not event.data:
            return None
        if event.event in ("complete", "error"):
            self._terminal = True
        return {"event": event.event, "data": self._load(event)}

    def _end_of_stream(self) -> None:
        if not self._terminal:
            raise APIConnectionError(
                f"connection error: {self._route} ended before a complete or error event "
                f"(request id {self.request_id})"
            )
