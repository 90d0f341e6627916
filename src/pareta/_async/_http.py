"""The request core: headers, the retry loop, and mapping failures to SDK errors."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from .._checks import unpicklable
from .._config import USER_AGENT, Bounds
from .._exceptions import ParetaError, status_error
from .._forks import reset_in_children
from .._logs import log_response, log_retry
from .._objects.raw import Answer, noted
from .._observers import Observer, current_observer
from .._options import RequestOptions
from .._request_bodies import multipart_content_type, plain_body
from .._responses import (
    ACCEPT_ENCODING,
    Breach,
    connection_error,
    invalid_response,
    late,
    parse_json,
    route,
)
from .._retry import backoff_delay, is_retryable_status, retry_delay
from .._twins import AsyncDeadline, AsyncLoopGuard, asleep
from ._bodies import aread_within

# A forked child keeps its parent's pools referenced but unused: collecting them would
# close sockets the parent still reads from.
_abandoned: list[object] = []

_URL_CACHE_SIZE = 512

# Client-side mistakes, and a redirect loop (an injected client that follows redirects),
# that a second attempt cannot fix.
_NOT_RETRYABLE = (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.TooManyRedirects)

CLOSED = (
    "this client is closed: make a new one, or keep using it inside its `with` block "
    "(its HTTP client was closed by close()/aclose() or by its owner)"
)


class AsyncAPIClient:
    """Sends requests for one ``AsyncPareta``: auth, retries, and error mapping."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        max_retries: int,
        http_client: httpx.AsyncClient | None,
        new_http_client: Callable[[], httpx.AsyncClient],
        bounds: Bounds | None = None,
    ) -> None:
        self.bounds = Bounds() if bounds is None else bounds
        # A ``with_options(timeout=...)`` client's own; ``None``: the HTTP client's.
        self.timeout: httpx.Timeout | None = None
        # The task records this client has read, by id: eval rows are checked against them.
        self.tasks_read: dict[str, dict[str, Any]] = {}
        self.api_key = api_key
        self.base_url = base_url
        self.max_retries = max_retries
        self.owns_http_client = http_client is None
        self._new_http_client = new_http_client
        self.http_client = new_http_client() if http_client is None else http_client
        self._auth = f"Bearer {api_key}"
        self._urls: dict[str, httpx.URL] = {}
        self._loop_guard = AsyncLoopGuard()
        if self.owns_http_client:
            reset_in_children(self)

    def reset_after_fork(self) -> None:
        """In a forked child: start a new pool and leave the parent's sockets alone."""
        _abandoned.append(self.http_client)
        self.http_client = self._new_http_client()
        self._loop_guard = AsyncLoopGuard()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def __reduce__(self) -> Any:
        # Reached when a method bound to a resource (pa.chat.completions.create) is pickled.
        raise unpicklable(type(self).__name__.removesuffix("APIClient") + "Pareta")

    def build(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        accept: str = "application/json",
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> httpx.Request:
        headers = {
            "Authorization": self._auth,
            "User-Agent": USER_AGENT,
            "Accept": accept,
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        if method == "POST":
            # One key per call, reused by every retry, so the server bills a call once; a
            # caller's own key makes that hold across processes too (a resumed batch).
            headers["Idempotency-Key"] = idempotency_key or f"pareta-{uuid.uuid4().hex}"
            if files is not None:
                headers["Content-Type"] = multipart_content_type(headers["Idempotency-Key"])
        timeout: Any = self.timeout or httpx.USE_CLIENT_DEFAULT
        if options is not None:
            headers.update(options.extra_headers or {})
            if options.extra_query:
                params = {**(params or {}), **options.extra_query}
            if data is not None or files is not None:
                data = {**(data or {}), **(options.extra_body or {})}
            else:
                json = options.merge_json(json)
            timeout = options.timeout or timeout
        request = self.http_client.build_request(
            method,
            self._url(path),
            params=params,
            json=json,
            data=data,
            files=files,
            headers=headers,
            timeout=timeout,
        )
        return plain_body(request)

    def _url(self, path: str) -> httpx.URL:
        # Parsing a URL is a third of building a request; a client calls few distinct
        # paths, so each is parsed once (up to a bound, for clients that see many ids).
        url = self._urls.get(path)
        if url is None:
            url = httpx.URL(self.base_url + path)
            if len(self._urls) < _URL_CACHE_SIZE:
                self._urls[path] = url
        return url

    async def send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        """Send with retries; a 2xx answer comes back, anything else raises.

        With ``stream=True`` the body of a 2xx answer is left unread for the caller, and
        the handshake is bounded by ``stream_idle_timeout``; a whole call by ``call_timeout``.
        """
        if self.http_client.is_closed:
            raise ParetaError(CLOSED)
        self._loop_guard.check()
        observer = current_observer.get()
        if observer is not None:
            # A batch row waits for its send slot before its deadline starts: the job's
            # pace is not the call being late.
            await wait_turn(observer)
        request.extensions.update(AsyncDeadline.extensions)
        keyword = "stream_idle_timeout" if stream else "call_timeout"
        seconds = getattr(self.bounds, keyword)
        if seconds is None:
            return await self._send(request, stream=stream, deadline=None, observer=observer)
        deadline = time.monotonic() + seconds
        try:
            with AsyncDeadline(deadline):
                return await self._send(
                    request, stream=stream, deadline=deadline, observer=observer
                )
        except TimeoutError as exc:
            raise late(route(request), keyword, seconds) from exc

    async def _send(
        self,
        request: httpx.Request,
        *,
        stream: bool,
        deadline: float | None,
        observer: Observer | None,
    ) -> httpx.Response:
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                response = await self._attempt(request, stream=stream)
            except _NOT_RETRYABLE as exc:
                raise connection_error(exc, route(request)) from exc
            except httpx.TransportError as exc:
                if observer is not None:
                    observer.failed()
                if attempt >= self.max_retries:
                    raise connection_error(exc, route(request)) from exc
                delay = backoff_delay(attempt)
                log_retry(request, type(exc).__name__, attempt, delay)
            else:
                log_response(response, attempt, time.monotonic() - started)
                if observer is not None:
                    observer.answered(response.status_code, response.headers.raw)
                if response.is_success:
                    return response
                # An observer that paces (a batch job) retries its 429s itself: they do
                # not use up the retries.
                paced = observer is not None and observer.handles(response.status_code)
                if not paced and (
                    attempt >= self.max_retries or not is_retryable_status(response.status_code)
                ):
                    raise status_error(response)
                delay = retry_delay(attempt, response.headers.get("retry-after"))
                log_retry(request, str(response.status_code), attempt, delay)
                attempt -= paced
            if deadline is not None and time.monotonic() + delay >= deadline:
                raise TimeoutError("the next attempt would start after the deadline")
            await asleep(delay)
            if observer is not None:
                await wait_turn(observer)
            attempt += 1

    async def _attempt(self, request: httpx.Request, *, stream: bool) -> httpx.Response:
        try:
            response = await self.http_client.send(request, stream=True)
        except RuntimeError:
            # Closed by close()/aclose() (another task or thread) while this call waited
            # out a backoff, or just before it was sent.
            if self.http_client.is_closed:
                raise ParetaError(CLOSED) from None
            raise
        if stream and response.is_success:
            return response
        bounds = self.bounds
        try:
            if response.is_success:
                limit, keyword = bounds.body_limit("content-encoding" in response.headers)
                await aread_within(response, limit, keyword)
            else:
                await aread_within(response, bounds.max_error_bytes, "", truncate=True)
        except Breach as exc:
            raise exc.error(response) from None
        finally:
            await response.aclose()
        return response

    async def request_json(
        self,
        method: str,
        path: str,
        *,
        expect: type | tuple[type, ...] | None = None,
        **kwargs: Any,
    ) -> Any:
        """The JSON answer of one call; ``expect`` names the JSON types the route returns."""
        return (await self.request_answer(method, path, expect=expect, **kwargs)).body

    async def request_answer(
        self,
        method: str,
        path: str,
        *,
        expect: type | tuple[type, ...] | None = None,
        **kwargs: Any,
    ) -> Answer:
        """``request_json``'s body with the response it came in (for its request id)."""
        response = await self.send(self.build(method, path, **kwargs))
        noted(response)
        body = parse_json(response, self.bounds.max_json_bytes)
        if expect is not None and not isinstance(body, expect):
            raise invalid_response(response, f"an unexpected JSON {type(body).__name__}")
        return Answer(body, response)

    def derive(
        self, *, max_retries: int, bounds: Bounds, timeout: httpx.Timeout | None
    ) -> AsyncAPIClient:
        """The request core of a ``with_options`` client: its own retries, limits and
        timeout over this one's connection pool (which stays this client's to close)."""
        return AsyncDerivedAPIClient(self, max_retries=max_retries, bounds=bounds, timeout=timeout)

    async def aclose(self) -> None:
        if self.owns_http_client:
            # Its connections belong to the loop that used it: closing them from another
            # one fails (asyncio: "Event loop is closed") or worse; say so instead.
            self._loop_guard.check()
            await self.http_client.aclose()


class AsyncDerivedAPIClient(AsyncAPIClient):
    """Another client's request core with other options; the pool is always the parent's,
    a new one after a fork included."""

    def __init__(
        self,
        parent: AsyncAPIClient,
        *,
        max_retries: int,
        bounds: Bounds,
        timeout: httpx.Timeout | None,
    ) -> None:
        # Everything the parent learned and holds (keys, URLs, what the server said about
        # its limits) is shared; the options are this client's own.
        self.__dict__.update(parent.__dict__)
        self._parent = parent
        self.max_retries = max_retries
        self.bounds = bounds
        self.timeout = timeout
        self.owns_http_client = False

    @property
    def http_client(self) -> httpx.AsyncClient:
        return self._parent.http_client

    # Assigning reaches the parent: the pool is one (nothing assigns it here but a fork's
    # reset, which the parent does itself).
    @http_client.setter
    def http_client(self, value: httpx.AsyncClient) -> None:  # pragma: no cover
        self._parent.http_client = value

    @property
    def _loop_guard(self) -> AsyncLoopGuard:
        return self._parent._loop_guard

    @_loop_guard.setter
    def _loop_guard(self, value: AsyncLoopGuard) -> None:  # pragma: no cover
        self._parent._loop_guard = value


async def wait_turn(observer: Observer) -> None:
    """Wait until the observer lets the next attempt go (a batch job's send slot)."""
    while True:
        delay, admitted = observer.admit()
        if delay > 0:
            await asleep(delay)
        if admitted:
            return
