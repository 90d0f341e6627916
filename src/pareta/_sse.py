"""Server-sent events from a response's bytes: lines are split here, fields read by httpx-sse.

A chat stream is many small events, each usually its own network chunk, so the cost per
chunk is what matters. Streams therefore read the response's bytes and split the lines
themselves instead of stacking httpx's text and line iterators (an async-generator layer
each, per chunk); httpx-sse's decoder still applies the protocol's field rules to every
line. The event-stream format is always UTF-8 and a newline byte never occurs inside a
multi-byte sequence, so each line decodes on its own, whatever the chunk boundaries.
"""

from __future__ import annotations

# The decoder behind httpx-sse's ``EventSource``: the WHATWG field rules (comments,
# ``event``, ``data``, ``id``, ``retry``, one leading space). httpx-sse is pinned to 0.4.x.
from httpx_sse import ServerSentEvent
from httpx_sse._decoders import SSEDecoder


class SSEParser:
    """Feed it the bytes as they arrive; it returns the events they complete.

    Lines end with ``\\n``, ``\\r\\n`` or ``\\r``. A ``\\r`` that ends a chunk ends its line
    at once; a ``\\n`` that then starts the next chunk is the rest of that ``\\r\\n`` and is
    skipped. At the end of the stream nothing is flushed: an event without its closing
    blank line is incomplete, and the format says to discard it.
    """

    __slots__ = ("_buffer", "_decoder", "_skip_lf")

    def __init__(self) -> None:
        self._buffer = b""
        self._decoder = SSEDecoder()
        self._skip_lf = False

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        if self._skip_lf:
            self._skip_lf = False
            if data.startswith(b"\n"):
                data = data[1:]
        if self._buffer:
            data = self._buffer + data
        if b"\r" in data:
            self._skip_lf = data.endswith(b"\r")
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        *lines, self._buffer = data.split(b"\n")
        decode = self._decoder.decode
        events = []
        for line in lines:
            event = decode(line.decode("utf-8", "replace"))
            if event is not None:
                events.append(event)
        return events
