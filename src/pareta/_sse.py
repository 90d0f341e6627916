"""Server-sent events from a response's bytes: lines are split here, fields read by httpx-sse.

A chat stream is many small events, each usually its own network chunk, so the cost per
chunk is what matters. Streams therefore read the response's bytes and split the lines
themselves instead of stacking httpx's text and line iterators (an async-generator layer
each, per chunk); httpx-sse's decoder still applies the protocol's field rules to every
line. The event-stream format is always UTF-8 and a newline byte never occurs inside a
multi-byte sequence, so each line decodes on its own, whatever the chunk boundaries.
"""

from __future__ import annotations

import sys
from time import monotonic

# The decoder behind httpx-sse's ``EventSource``: the WHATWG field rules (comments,
# ``event``, ``data``, ``id``, ``retry``, one leading space). httpx-sse is pinned to 0.4.x.
from httpx_sse import ServerSentEvent
from httpx_sse._decoders import SSEDecoder

from ._responses import LimitExceeded, StreamIdle

BOM = b"\xef\xbb\xbf"


class SSEParser:
    """Feed it the bytes as they arrive; it returns the events they complete.

    Lines end with ``\\n``, ``\\r\\n`` or ``\\r``. A ``\\r`` that ends a chunk ends its line
    at once; a ``\\n`` that then starts the next chunk is the rest of that ``\\r\\n`` and is
    skipped. A line still unfinished is kept as pieces and joined once its end arrives, so a
    long event costs time in proportion to its size. One leading byte order mark is dropped.
    At the end of the stream nothing is flushed: an event without its closing blank line is
    incomplete, and the format says to discard it.

    Hostile streams end in errors instead of unbounded memory or time: a line or an event
    over ``max_event_bytes`` raises ``LimitExceeded``; bytes that arrive more than
    ``idle_timeout`` seconds after the last event with data (keep-alives, a trickle) raise
    ``StreamIdle``. A silent connection is the read timeout's to end.
    """

    __slots__ = (
        "_decoder",
        "_event_size",
        "_idle_timeout",
        "_idle_until",
        "_max_event_bytes",
        "_partial",
        "_partial_size",
        "_skip_lf",
        "_started",
    )

    def __init__(
        self, max_event_bytes: int | None = None, idle_timeout: float | None = None
    ) -> None:
        self._decoder = SSEDecoder()
        self._partial: list[bytes] = []  # the pieces of the line not yet ended
        self._partial_size = 0
        self._event_size = 0  # the bytes of the event under way, its lines so far
        self._max_event_bytes = sys.maxsize if max_event_bytes is None else max_event_bytes
        self._idle_timeout = idle_timeout
        self._idle_until = monotonic() + (idle_timeout or 0.0)
        self._skip_lf = False
        self._started = False

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        if not data:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if data.startswith(b"\n"):
                data = data[1:]
        if b"\r" in data:
            self._skip_lf = data.endswith(b"\r")
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if b"\n" not in data:
            self._partial.append(data)
            self._grow(len(data))
            self._waited()
            return []
        lines = data.split(b"\n")
        if self._partial:
            self._partial.append(lines[0])
            lines[0] = b"".join(self._partial)
            self._partial = []
            self._partial_size = 0
        rest = lines.pop()
        if rest:
            self._partial.append(rest)
            self._grow(len(rest))
        if not self._started:
            self._started = True
            lines[0] = lines[0].removeprefix(BOM)
        decoder = self._decoder
        decode = decoder.decode
        events = []
        limit = self._max_event_bytes
        size = self._event_size
        for line in lines:
            if not line:
                size = 0
                # httpx-sse makes an event of every blank line once an ``id:`` was seen; the
                # format dispatches none without a field since the last one, and a chunk of
                # blank lines would otherwise become a list of events as long.
                if not (decoder._data or decoder._event or decoder._retry is not None):
                    continue
            else:
                size += len(line) + 1
                if size > limit:
                    raise LimitExceeded("max_event_bytes", limit)
            event = decode(line.decode("utf-8", "replace"))
            if event is not None:
                events.append(event)
        self._event_size = size
        idle = self._idle_timeout
        if idle is not None:
            # Only an event with data restarts the wait: keep-alives and a trickle do not.
            now = monotonic()
            for event in events:
                if event.data:
                    self._idle_until = now + idle
                    break
            else:
                if now > self._idle_until:
                    raise StreamIdle(idle)
        return events

    def _waited(self) -> None:
        if self._idle_timeout is not None and monotonic() > self._idle_until:
            raise StreamIdle(self._idle_timeout)

    def _grow(self, size: int) -> None:
        self._partial_size += size
        if self._event_size + self._partial_size > self._max_event_bytes:
            raise LimitExceeded("max_event_bytes", self._max_event_bytes)
