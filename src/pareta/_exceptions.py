"""The exception hierarchy: every error the SDK raises is a ``ParetaError``."""

from __future__ import annotations

import codecs
import copy
import json
import re
from typing import Any

import httpx

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "EndpointNotReadyError",
    "InsufficientCreditsError",
    "NotFoundError",
    "ParetaError",
    "PermissionDeniedError",
    "RateLimitError",
]


# Messages stay readable in a terminal whatever the server sent: bounded in length, and
# control characters (ANSI escapes included), line and paragraph separators, invisible
# format characters, bidirectional controls and lone surrogates (which make ``print``
# raise) shown escaped.
MAX_MESSAGE_CHARS = 2000
# A request id quoted inside a message: a real one is a few dozen characters.
REQUEST_ID_CHARS = 200
_UNPRINTABLE = re.compile(
    "([\x00-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\ufeff\ufff9-\ufffb\ud800-\udfff])"
)


def printable(value: object, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``value`` as text for a message, a log line or a terminal: every control character
    written as an escape (``\\x1b``), then cut to at most ``limit`` characters (escapes
    are never split), with a count of what was left out."""
    text = value if isinstance(value, str) else str(value)
    # Escaping first would make a text of ``limit`` escapable characters six times as
    # long; escaping what might fit, piece by piece, keeps the cut where it belongs.
    shown: list[str] = []
    room = limit
    used = 0
    for index, piece in enumerate(_UNPRINTABLE.split(text[:limit])):
        if index % 2:
            piece = _escape(piece)
            if len(piece) > room:
                break
        else:
            piece = piece[:room]
        shown.append(piece)
        room -= len(piece)
        used += 1 if index % 2 else len(piece)
        if room <= 0:
            break
    result = "".join(shown)
    left = len(text) - used
    return f"{result}… ({left:,} more characters)" if left > 0 else result


def _escape(char: str) -> str:
    return ascii(char)[1:-1]


def request_id_text(request_id: str | None) -> str:
    """A request id as a message quotes it: escaped and bounded."""
    return printable(request_id, REQUEST_ID_CHARS)


class ParetaError(Exception):
    """Base class for every error the SDK raises."""

    def __reduce__(self) -> Any:
        # Ray, Dask and multiprocessing pickle a task's error to ship it: rebuilt from its
        # message and attributes (keyword-only ones too), with a response whose request no
        # longer carries headers, so the API key never travels with it.
        state = dict(self.__dict__)
        if isinstance(self, APIStatusError):
            state["_detail"] = self.detail
        response = state.get("response")
        if isinstance(response, httpx.Response):
            state["response"] = _without_request_headers(response)
        return _rebuild, (type(self), self.args, state)


def _rebuild(cls: type[ParetaError], args: tuple[Any, ...], state: dict[str, Any]) -> ParetaError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


def _without_request_headers(response: httpx.Response) -> httpx.Response:
    # httpx pickles a response without its stream; its request is rebuilt bare (method
    # and URL), and what a redirect left behind goes.
    bare = copy.copy(response)
    request = response._request
    bare._request = None if request is None else httpx.Request(request.method, request.url)
    bare.history = []
    bare.next_request = None
    return bare


class APIConnectionError(ParetaError):
    """The request never reached the server, or the connection dropped mid-response."""

    def __init__(
        self, message: str = "connection error", *, cause: BaseException | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if cause is not None:
            self.__cause__ = cause


class APITimeoutError(APIConnectionError):
    """The request did not complete within the client timeout."""

    def __init__(
        self, message: str = "request timed out", *, cause: BaseException | None = None
    ) -> None:
        super().__init__(message, cause=cause)


class APIStatusError(ParetaError):
    """The server answered with a non-2xx status."""

    status_code: int
    request_id: str | None
    response: httpx.Response | None
    #: Without a ``detail``, the route and any redirect target (``str(e)`` is ``HTTP <code>``).
    hint: str | None = None
    _detail: Any

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int,
        detail: Any = None,
        request_id: str | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        if message is None:
            message = printable(_describe(detail)) or f"HTTP {status_code}"
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.detail = detail
        self.request_id = request_id
        self.response = response

    @property
    def detail(self) -> Any:
        """The server's ``detail``, or the text of an error body that is not JSON."""
        if self._detail is BODY_TEXT:
            # Decoded when first read, not when raised: a page as large as max_error_bytes
            # is then held once (as the response's bytes) while the error travels.
            self._detail = None if self.response is None else _text(self.response)
        return self._detail

    @detail.setter
    def detail(self, value: Any) -> None:
        self._detail = value


class BadRequestError(APIStatusError):
    """400 or 422: the server rejected the request."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or invalid."""


class InsufficientCreditsError(APIStatusError):
    """402: the org balance is empty; top up in the dashboard."""


class PermissionDeniedError(APIStatusError):
    """403: authenticated, but not allowed."""


class NotFoundError(APIStatusError):
    """404: the endpoint, task, eval set or run does not exist."""


class ConflictError(APIStatusError):
    """409: a seed endpoint, or transient contention."""


class RateLimitError(APIStatusError):
    """429: rate limited, after the retry budget was spent."""


class EndpointNotReadyError(APIStatusError):
    """503: the endpoint is stopped, cold-starting, or its provider is down."""


class APIResponseValidationError(ParetaError):
    """A 2xx answer the SDK cannot read: not JSON, truncated, or the wrong shape."""

    def __init__(
        self,
        message: str,
        *,
        request_id: str | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id
        self.response = response


class APIStreamError(ParetaError):
    """The server reported an error inside an open stream."""

    def __init__(self, message: str, *, detail: Any = None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.request_id = request_id


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditsError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,
    429: RateLimitError,
    503: EndpointNotReadyError,
}


def _describe(detail: Any) -> str:
    if detail is None or detail == "":
        return ""
    return detail if isinstance(detail, str) else str(detail)


# Stands for an error body's text until ``APIStatusError.detail`` is read.
BODY_TEXT: Any = object()
# Enough of a body's start for a message, which is cut to 2,000 characters anyway.
_PREVIEW_BYTES = 8192
_LEADING_SPACE = re.compile(rb"\s*")


def _text(response: httpx.Response, limit: int | None = None) -> str:
    content = response.content if limit is None else response.content[:limit]
    return content.decode(_charset(response), "replace")


# Codecs Python counts as text encodings that are no body's charset: they transform text
# (and punycode decodes "no such model" to "" on Python 3.13, where it no longer raises).
_NOT_CHARSETS = frozenset({"idna", "punycode", "unicode-escape", "raw-unicode-escape"})


def _charset(response: httpx.Response) -> str:
    """The body's charset if it decodes text, else UTF-8: a server may name a codec that
    is not a text encoding (``rot13``, ``base64``, ``zlib``, ``punycode``) or one that
    fails anyway."""
    try:
        name = response.encoding or "utf-8"
        codec = codecs.lookup(name)
        if not getattr(codec, "_is_text_encoding", True) or codec.name in _NOT_CHARSETS:
            return "utf-8"
        codec.decode(b"\xff\x00a", "replace")
        "\ufffd".encode(name, "replace")
    except Exception:  # a codec named by the server may fail in any way
        return "utf-8"
    return name


def _body_message(response: httpx.Response) -> str:
    """The start of a text error body, as a message: the rest is counted, not decoded."""
    preview = _text(response, _PREVIEW_BYTES)[:MAX_MESSAGE_CHARS]
    rest = len(response.content) - len(preview.encode(_charset(response), "replace"))
    text = printable(preview)
    return f"{text}… ({rest:,} more bytes)" if rest > 0 else text


def error_detail(response: httpx.Response) -> Any:
    """The FastAPI ``detail`` of an error body, else ``BODY_TEXT`` for its text (``None``
    when empty). Only a body that may be JSON is decoded here."""
    content = response.content
    if not content:
        return None
    start = _LEADING_SPACE.match(content).end()  # type: ignore[union-attr]
    if content[start : start + 1] not in (b"{", b"["):
        return BODY_TEXT
    # Decoded once, here: httpx's ``text`` would briefly hold the body's text twice.
    text = response.content.decode(_charset(response), "replace")
    try:
        body = json.loads(text)  # the text already decoded: the body is not decoded twice
    except (ValueError, RecursionError):
        return text
    if isinstance(body, dict) and "detail" in body:
        return body["detail"]
    return text


def status_error(response: httpx.Response) -> APIStatusError:
    """Build the most specific ``APIStatusError`` for a non-2xx (already read) response.

    The message is the server's detail; without one it names the status and the route.
    """
    cls = _STATUS_ERRORS.get(response.status_code, APIStatusError)
    detail = error_detail(response)
    shown = _body_message(response) if detail is BODY_TEXT else printable(_describe(detail))
    error = cls(
        shown or f"HTTP {response.status_code}",
        status_code=response.status_code,
        detail=detail,
        request_id=response.headers.get("x-request-id"),
        response=response,
    )
    if not shown:
        # ``str(e)`` stays the documented ``HTTP <code>``; where it came from, and where a
        # redirect pointed, travel as a note (shown under the traceback) and as ``hint``.
        error.hint = _bare_status(response)
        add_note(error, error.hint)
    return error


def add_note(error: BaseException, note: str) -> None:
    """``error.add_note(note)``, which Python 3.10 lacks: there ``__notes__`` is set by hand."""
    add = getattr(error, "add_note", None)
    if add is not None:
        add(note)
    else:  # pragma: no cover  # Python 3.10, where CI's other interpreters run the fast layer
        setattr(error, "__notes__", [*getattr(error, "__notes__", ()), note])  # noqa: B010


def _bare_status(response: httpx.Response) -> str:
    request = response.request
    message = f"HTTP {response.status_code} from {request.method} {request.url.path}"
    location = response.headers.get("location")
    if response.is_redirect and location:
        message += f", redirected to {location}; the SDK does not follow redirects: check base_url"
    return printable(message)
