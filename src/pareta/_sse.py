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

BOM = b"\xef\xbb\xbf"


class SSEParser:
    """Feed it the bytes as they arrive; it returns the events they complete.

    Lines end with ``\\n``, ``\\r\\n`` or ``\\r``. A ``\\r`` that ends a chunk ends its line
    at once; a ``\\n`` that then starts the next chunk is the rest of that ``\\r\\n`` and is
    skipped. A line still unfinished is kept as pieces and joined once its end arrives, so a
    long event costs time in proportion to its size. One leading byte order mark is dropped.
    At the end of the stream nothing is flushed: an event without its closing blank line is
    incomplete, and the format says to discard it.
    """

    __slots__ = ("_decoder", "_partial", "_skip_lf", "_started")

    def __init__(self) -> None:
        self._decoder = SSEDecoder()
        self._partial: list[bytes] = []  # the pieces of the line not yet ended
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
            return []
        lines = data.split(b"\n")
        if self._partial:
            self._partial.append(lines[0])
            lines[0] = b"".join(self._partial)
            self._partial = []
        rest = lines.pop()
        if rest:
            self._partial.append(rest)
        if not self._started:
            self._started = True
            lines[0] = lines[0].removeprefix(BOM)
        decode = self._decoder.decode
        events = []
        for line in lines:
            event = decode(line.decode("utf-8", "replace"))
            if event is not None:
                events.append(event)
        return events
