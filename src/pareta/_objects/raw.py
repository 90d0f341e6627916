"""Raw responses: the HTTP answer behind a call, and the typed object it parses to.

``client.with_raw_response.<resource>.<method>(...)`` runs the method as usual while the
request core notes each answer it receives (in a context variable, so concurrent calls
never see each other's); the last one is the call's raw response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Generic, NamedTuple, ParamSpec, TypeVar

import httpx

from .._exceptions import ParetaError

T = TypeVar("T")
P = ParamSpec("P")

# A method of a resource, as ``with_raw_response`` wraps it (one name per twin).
AsyncMethod = Callable[P, Awaitable[T]]
SyncMethod = Callable[P, T]

_seen: ContextVar[list[httpx.Response] | None] = ContextVar("pareta_raw_responses", default=None)


class APIResponse(Generic[T]):
    """The HTTP answer of a call (``status_code``, ``headers``, ``request_id``, ``http_response``)
    and ``parse()``, the object the method returns. For a stream, the answer is its handshake
    and ``parse()`` the stream, ready to iterate."""

    def __init__(self, http_response: httpx.Response, parsed: T) -> None:
        self.http_response = http_response
        self._parsed = parsed

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` header: quote it in bug reports."""
        return request_id_of(self.http_response)

    @property
    def url(self) -> httpx.URL:
        return self.http_response.request.url

    def parse(self) -> T:
        """The typed object the method returns (built once, the same object each time)."""
        return self._parsed

    def __repr__(self) -> str:
        return f"<APIResponse [{self.status_code}] {type(self._parsed).__name__}>"


def noted(response: httpx.Response) -> None:
    """Called by the request core for each answer a method receives."""
    seen = _seen.get()
    if seen is not None:
        seen.append(response)


@contextmanager
def capturing() -> Iterator[list[httpx.Response]]:
    """The answers received inside the block, in order."""
    seen: list[httpx.Response] = []
    token = _seen.set(seen)
    try:
        yield seen
    finally:
        _seen.reset(token)


def raw_response(seen: list[httpx.Response], parsed: T) -> APIResponse[T]:
    if not seen:  # pragma: no cover  # every wrapped method sends a request first
        raise ParetaError("the call received no HTTP answer to return")
    return APIResponse(seen[-1], parsed)


class Answer(NamedTuple):
    """A call's JSON body and the response it came in."""

    body: Any
    response: httpx.Response

    def stamp(self, value: T) -> T:
        return stamp(value, self.response)


def request_id_of(response: httpx.Response) -> str | None:
    request_id: str | None = response.headers.get("x-request-id")
    return request_id


def stamp(value: T, response: httpx.Response) -> T:
    """``value`` (a response object, or a list of them) marked with its answer's request id."""
    request_id = request_id_of(response)
    items: list[Any] = value if isinstance(value, list) else [value]
    for item in items:
        item._rid = request_id
    return value
