"""Reading answers safely: errors that name the route, and bodies decoded within limits.

Pure code shared by both clients: nothing here waits on I/O.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from typing import Any

import httpx

from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    ParetaError,
    printable,
    request_id_text,
)

# The encodings the SDK asks for, and decodes in bounded steps itself.
ACCEPT_ENCODING = "gzip, deflate"
STEP = 64 * 1024


def route(request: httpx.Request) -> str:
    """How errors name a call: ``POST /v1/chat/completions``."""
    return f"{request.method} {request.url.path}"


def connection_error(exc: httpx.RequestError, route: str) -> APIConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            printable(f"request timed out: {route} ({type(exc).__name__})"), cause=exc
        )
    return APIConnectionError(
        printable(f"connection error: {route} ({type(exc).__name__}: {redacted(str(exc))})"),
        cause=exc,
    )


_CREDENTIAL = re.compile(r"(?i)\b(bearer|basic)(\s+)\S+")


def redacted(text: str) -> str:
    """``text`` with any credential after ``Bearer``/``Basic`` replaced: an HTTP library's
    message may quote a header it refused."""
    return _CREDENTIAL.sub(r"\1\2[redacted]", text)


def late(route: str, keyword: str, seconds: float) -> APITimeoutError:
    """The error of a call that outlived its overall bound."""
    return APITimeoutError(
        f"{route} did not finish within {keyword}={seconds:g}s; pass a larger {keyword}= "
        "to the client (or None) if the server is slow on purpose"
    )


def parse_json(response: httpx.Response, max_json_bytes: int) -> Any:
    """The JSON body of a 2xx answer, or an error naming the route and the request id.

    A body whose values would take more than ``JSON_MEMORY_FACTOR`` times
    ``max_json_bytes`` in memory is refused before it is parsed."""
    if not response.content:
        return None
    cost = json_memory(response.content)
    if cost > JSON_MEMORY_FACTOR * max_json_bytes:
        raise invalid_response(
            response,
            f"JSON that would take about {cost:,} bytes in memory, over "
            f"{JSON_MEMORY_FACTOR} x max_json_bytes={max_json_bytes}; pass a larger "
            "max_json_bytes= to the client if the answer is that big on purpose",
        )
    try:
        return json.loads(response.content)
    except ValueError as exc:
        raise invalid_response(response, "a body that is not valid JSON") from exc
    except RecursionError:
        raise invalid_response(response, "JSON nested too deeply to read") from None


# A parsed JSON value costs far more than its text: ``{}`` is 2 bytes on the wire and about
# 64 as a dict. A body is read only if this estimate stays within the factor of
# ``max_json_bytes``, so ``[{},{},…]`` cannot make a small answer take gigabytes.
JSON_MEMORY_FACTOR = 16
_CONTAINER_BYTES = 72
_VALUE_BYTES = 40


def json_memory(content: bytes) -> int:
    """An upper estimate of the memory ``json.loads(content)`` takes: a price per object or
    array and per further value (counted by their brackets and commas; ones inside strings
    count too, which only errs high)."""
    containers = content.count(b"{") + content.count(b"[")
    return len(content) + _CONTAINER_BYTES * containers + _VALUE_BYTES * content.count(b",")


def invalid_response(response: httpx.Response, what: str) -> APIResponseValidationError:
    request_id = response.headers.get("x-request-id")
    return APIResponseValidationError(
        printable(
            f"{route(response.request)} returned {what} "
            f"(status {response.status_code}, request id {request_id_text(request_id)})"
        ),
        request_id=request_id,
        response=response,
    )


def jsonl(items: list[dict[str, Any]]) -> bytes:
    """Rows as JSON Lines, the upload format of eval sets."""
    return "".join(json.dumps(item, separators=(",", ":")) + "\n" for item in items).encode()


def storage_error(exc: ParetaError, route: str) -> ParetaError:
    """A failed storage PUT as an error of the same class (``except APITimeoutError``
    still catches it), its message naming the storage route."""
    message = f"document upload to storage failed ({route}): {exc}"
    if isinstance(exc, APIStatusError):
        return type(exc)(
            message,
            status_code=exc.status_code,
            detail=exc.detail,
            request_id=exc.request_id,
            response=exc.response,
        )
    return type(exc)(message)


class Breach(Exception):
    """A limit the server's answer went past; ``error`` turns it into the SDK's error."""

    def error(self, response: httpx.Response) -> ParetaError:
        raise NotImplementedError


class LimitExceeded(Breach):
    def __init__(self, keyword: str, limit: int) -> None:
        super().__init__(f"{keyword}={limit}")
        self.keyword = keyword
        self.limit = limit

    def error(self, response: httpx.Response) -> ParetaError:
        return invalid_response(
            response,
            f"more than {self.limit:,} bytes where {self.keyword}={self.limit} allows; pass a "
            f"larger {self.keyword}= to the client if the answer is that big on purpose",
        )


class StreamIdle(Breach):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"stream_idle_timeout={seconds:g}")
        self.seconds = seconds

    def error(self, response: httpx.Response) -> ParetaError:
        request_id = response.headers.get("x-request-id")
        return APITimeoutError(
            printable(
                f"{route(response.request)} sent no event for stream_idle_timeout="
                f"{self.seconds:g}s (keep-alives do not count; request id "
                f"{request_id_text(request_id)}); "
                "pass a larger stream_idle_timeout= to the client (or None) to wait longer"
            )
        )


class UndecodableBody(Breach):
    def error(self, response: httpx.Response) -> ParetaError:
        return invalid_response(response, f"a body that could not be decoded ({self})")


class BodyDecoder:
    """Decodes a body's bytes as they arrive, never past ``limit`` decoded bytes in all.

    A compressed body is inflated ``STEP`` bytes at a time, so a small compressed answer
    that would inflate to gigabytes stops at the limit instead. Over
    the limit, ``decode`` raises ``LimitExceeded``; with ``truncate=True`` it keeps the
    first ``limit`` bytes, sets ``truncated`` and the caller stops reading.
    """

    __slots__ = ("_inflate", "_keyword", "_limit", "_size", "_truncate", "_wbits", "truncated")

    def __init__(
        self, content_encoding: str | None, limit: int, keyword: str, *, truncate: bool = False
    ) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        codings = [c for c in codings if c not in ("", "identity")]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise UndecodableBody(
                f"content-encoding {content_encoding!r}; the SDK asks for {ACCEPT_ENCODING}"
            )
        self._wbits: int | None = None
        if codings:
            self._wbits = zlib.MAX_WBITS | 16 if "gzip" in codings[0] else zlib.MAX_WBITS
        self._inflate: Any = None if self._wbits is None else zlib.decompressobj(self._wbits)
        self._limit = limit
        self._keyword = keyword
        self._truncate = truncate
        self._size = 0
        self.truncated = False

    def decode(self, data: bytes) -> Iterator[bytes | memoryview]:
        """The decoded pieces of ``data``, each at most ``STEP`` bytes when inflated, made
        one at a time as they are asked for: a small network chunk that inflates to
        megabytes is never held whole."""
        if self._inflate is None:
            yield self._count(data)
            return
        while data and not self.truncated:
            room = self._limit - self._size
            yield self._count(self._decompress(data, min(room + 1, STEP)))
            data = self._inflate.unconsumed_tail

    def flush(self) -> bytes | memoryview:
        if self._inflate is None:
            return b""
        return self._count(self._inflate.flush())

    def _decompress(self, data: bytes, most: int) -> bytes:
        try:
            return bytes(self._inflate.decompress(data, most))
        except zlib.error as exc:
            if self._wbits == zlib.MAX_WBITS and self._size == 0:
                # "deflate" in the wild is often raw deflate without the zlib header.
                self._wbits = -zlib.MAX_WBITS
                self._inflate = zlib.decompressobj(self._wbits)
                return self._decompress(data, most)
            raise UndecodableBody(f"{exc}") from None

    def _count(self, data: bytes) -> bytes | memoryview:
        room = self._limit - self._size
        if len(data) > room:
            if not self._truncate:
                raise LimitExceeded(self._keyword, self._limit)
            self.truncated = True
            self._size = self._limit
            return memoryview(data)[:room]  # a view: a large piece is not copied
        self._size += len(data)
        return data
