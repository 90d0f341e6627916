"""Connections and headers, bounded: no client holds a connection, a header or a
stalled upload without limit.

uvicorn bounds the idle time between requests (``timeout_keep_alive``, our
``idle_timeout``) but nothing before a request's headers are in, nor how large
they are, nor a body that stops arriving, and its ``limit_concurrency`` answers
503 without ``Retry-After``. `bounded_protocol` adds those to its httptools
protocol:

- ``header_timeout``: a connection must deliver a request's headers within this
  many seconds of its first byte (or of being opened): slowloris and silent
  sockets are closed.
- ``max_header_bytes``: the request line and headers together; past it, 431.
  The bytes are counted before the parser sees them, so a 64 MiB header costs
  no more than the limit.
- ``body_timeout``: the longest pause while a body arrives; a stalled upload's
  connection is closed and the route sees a disconnect, releasing what it held.
  A pause the server itself causes (it is not reading yet) does not count.
- ``max_connections``: past it a new connection's request is answered 503 with
  ``Retry-After`` at once (a silent one is closed within a second), so a normal
  client is told to come back rather than left waiting.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar

from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .config import Config

# How long a connection past `max_connections` may take to send its request.
OVER_CAPACITY_GRACE = 1.0
_REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the bounds of `bounds` (see the module docstring)."""

    bounds: ClassVar[Config]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timer: asyncio.TimerHandle | None = None
        self._reading_headers = True
        self._header_bytes = 0
        self._over_capacity = False
        self._body_seen = 0.0

    # -- timers -------------------------------------------------------------------

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _headers_late(self) -> None:
        self._timer = None
        if self._reading_headers and not self.transport.is_closing():
            self.transport.close()

    def _body_stalled(self) -> None:
        self._timer = None
        if self.transport.is_closing() or self.cycle is None or not self.cycle.more_body:
            return
        quiet = self.loop.time() - self._body_seen
        if self.flow.read_paused or quiet < self.bounds.body_timeout:
            # Bytes came meanwhile, or the server is not reading (not the client's stall).
            self._arm(max(self.bounds.body_timeout - quiet, 0.01), self._body_stalled)
            return
        self.transport.close()

    # -- the connection ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._over_capacity = len(self.connections) > self.bounds.max_connections
        timeout = self.bounds.header_timeout
        self._arm(
            min(timeout, OVER_CAPACITY_GRACE) if self._over_capacity else timeout,
            self._headers_late,
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # Timers are armed only for what is still incomplete after this chunk: a request
        # that arrives whole (most do) costs no timer, and no cancelled one lingers.
        if self._reading_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if self._reading_headers and self._header_bytes:
            if self._header_bytes > self.bounds.max_header_bytes:
                self._refuse_now(431)
            elif self._timer is None:  # a request begun on a kept-alive connection
                self._arm(self.bounds.header_timeout, self._headers_late)
        elif self._timer is None and self.cycle is not None and self.cycle.more_body:
            self._arm(self.bounds.body_timeout, self._body_stalled)

    def _refuse_now(self, status: int) -> None:
        if self.transport.is_closing():
            return
        body = json.dumps({"detail": _detail(status, self.bounds)}).encode()
        head = (
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n" % (status, _REASONS[status], len(body))
        )
        self.transport.write(head + body)
        self.transport.close()

    # -- parser callbacks -----------------------------------------------------------

    def on_headers_complete(self) -> None:
        self._reading_headers = False
        self._disarm()
        self._body_seen = self.loop.time()
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        status = 431 if size > self.bounds.max_header_bytes else None
        status = 503 if self._over_capacity else status
        if status is None:
            super().on_headers_complete()
            return
        app, self.app = self.app, _Refusal(status, self.bounds)
        try:
            super().on_headers_complete()
        finally:
            self.app = app

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        self._body_seen = self.loop.time()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()
        # Any byte from now on belongs to the next request's headers, timed from its first
        # byte; until one comes, the keep-alive timeout (`idle_timeout`) applies.
        self._reading_headers = True
        self._header_bytes = 0


def _detail(status: int, bounds: Config) -> str:
    if status == 431:
        return (
            f"Request headers too large: at most {bounds.max_header_bytes} bytes "
            "(--max-header-bytes)."
        )
    return (
        f"The server holds its {bounds.max_connections} connections (--max-connections); "
        "retry after 1 s."
    )


class _Refusal:
    """An ASGI app that answers every request with one status, closing the connection."""

    def __init__(self, status: int, bounds: Config) -> None:
        self.status = status
        self.bounds = bounds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = json.dumps({"detail": _detail(self.status, self.bounds)}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        if self.status == 503:
            headers.append((b"retry-after", b"1"))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def bounded_protocol(config: Config) -> type[BoundedHttpToolsProtocol]:
    """The protocol class to hand uvicorn (``uvicorn.Config(http=...)``) for `config`."""
    return type("Bounded", (BoundedHttpToolsProtocol,), {"bounds": config})
