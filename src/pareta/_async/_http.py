"""The request core: headers, the retry loop, and mapping failures to SDK errors."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from .._batch_state import RowTrace, current_trace
from .._config import USER_AGENT
from .._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    status_error,
)
from .._forks import reset_in_children
from .._logs import log_response, log_retry
from .._retry import backoff_delay, is_retryable_status, retry_delay
from .._twins import AsyncLoopGuard, asleep

# A forked child keeps its parent's pools referenced but unused: collecting them would
# close sockets the parent still reads from.
_abandoned: list[object] = []

_URL_CACHE_SIZE = 512

# Client-side mistakes that a second attempt cannot fix.
_NOT_RETRYABLE = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


def connection_error(exc: httpx.TransportError, route: str) -> APIConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"request timed out: {route} ({type(exc).__name__})", cause=exc)
    return APIConnectionError(f"connection error: {route} ({type(exc).__name__}: {exc})", cause=exc)


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
    ) -> None:
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
    ) -> httpx.Request:
        headers = {"Authorization": self._auth, "User-Agent": USER_AGENT, "Accept": accept}
        if method == "POST":
            # One key per call, reused by every retry, so the server bills a call once; a
            # caller's own key makes that hold across processes too (a resumed batch).
            headers["Idempotency-Key"] = idempotency_key or f"pareta-{uuid.uuid4().hex}"
        return self.http_client.build_request(
            method,
            self._url(path),
            params=params,
            json=json,
            data=data,
            files=files,
            headers=headers,
        )

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

        With ``stream=True`` the body of a 2xx answer is left unread for the caller.
        """
        self._loop_guard.check()
        trace = current_trace.get()
        attempt = 0
        while True:
            if trace is not None:
                await self._pace(trace)
            started = time.monotonic()
            try:
                response = await self._attempt(request, stream=stream)
            except _NOT_RETRYABLE as exc:
                raise connection_error(exc, route(request)) from exc
            except httpx.TransportError as exc:
                if trace is not None:
                    trace.failed()
                if attempt >= self.max_retries:
                    raise connection_error(exc, route(request)) from exc
                delay = backoff_delay(attempt)
                log_retry(request, type(exc).__name__, attempt, delay)
            else:
                log_response(response, attempt, time.monotonic() - started)
                if trace is not None:
                    trace.answered(response.status_code, response.headers.raw)
                if response.is_success:
                    return response
                # A batch job paces its 429s itself: they do not use up the retries.
                paced = trace is not None and trace.handles(response.status_code)
                if not paced and (
                    attempt >= self.max_retries or not is_retryable_status(response.status_code)
                ):
                    raise status_error(response)
                delay = retry_delay(attempt, response.headers.get("retry-after"))
                log_retry(request, str(response.status_code), attempt, delay)
                attempt -= paced
            await asleep(delay)
            attempt += 1

    async def _pace(self, trace: RowTrace) -> None:
        """Wait for the batch job's next send slot (its rate adapts to the server)."""
        while True:
            delay, booked = trace.gate.reserve()
            if delay > 0:
                await asleep(delay)
            if booked:
                return

    async def _attempt(self, request: httpx.Request, *, stream: bool) -> httpx.Response:
        response = await self.http_client.send(request, stream=True)
        if stream and response.is_success:
            return response
        try:
            await response.aread()
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
        response = await self.send(self.build(method, path, **kwargs))
        body = parse_json(response)
        if expect is not None and not isinstance(body, expect):
            raise invalid_response(response, f"an unexpected JSON {type(body).__name__}")
        return body

    async def aclose(self) -> None:
        if self.owns_http_client:
            await self.http_client.aclose()


def route(request: httpx.Request) -> str:
    """How errors name a call: ``POST /v1/chat/completions``."""
    return f"{request.method} {request.url.path}"


def parse_json(response: httpx.Response) -> Any:
    """The JSON body of a 2xx answer, or an error naming the route and the request id."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise invalid_response(response, "a body that is not valid JSON") from exc


def invalid_response(response: httpx.Response, what: str) -> APIResponseValidationError:
    request_id = response.headers.get("x-request-id")
    return APIResponseValidationError(
        f"{route(response.request)} returned {what} "
        f"(status {response.status_code}, request id {request_id})",
        request_id=request_id,
        response=response,
    )
