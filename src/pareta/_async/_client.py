"""``AsyncPareta``: the async client, and the resource namespaces hanging off it."""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Iterable
from types import TracebackType
from typing import Any, TypeVar

import httpx

from .._batch.state import AsyncCall, CountProgress, Progress
from .._checks import require_positive_int, unpicklable
from .._config import (
    DEFAULT_CALL_TIMEOUT,
    DEFAULT_MAX_DECODED_BYTES,
    DEFAULT_MAX_ERROR_BYTES,
    DEFAULT_MAX_EVENT_BYTES,
    DEFAULT_MAX_JSON_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_STREAM_IDLE_TIMEOUT,
    Bounds,
    clamp_retries,
    normalize_base_url,
    require_api_key,
    to_timeout,
)
from .._cookies import NoCookies
from .._logs import configure_from_env
from .._options import NOT_GIVEN, NotGiven, per_request_timeout
from ._http import AsyncAPIClient
from ._transport import AsyncShardedTransport
from .batch import AsyncBatchJob, arun_all
from .chat import AsyncChat
from .endpoints import AsyncEndpoints
from .evals import AsyncEvals
from .models import AsyncModels
from .raw import AsyncParetaWithRawResponse
from .tasks import AsyncTasks

R = TypeVar("R")
DEFAULT_LIMITS = httpx.Limits(max_connections=256, max_keepalive_connections=256)


def _new_http_client(timeout: httpx.Timeout) -> httpx.AsyncClient:
    """The SDK-owned client: 256 connections split across small pools for fan-out.

    Proxy variables in the environment are honoured as httpx honours them, each proxy
    through pools of the same kind; the client keeps no cookies (see ``NoCookies``)."""
    return httpx.AsyncClient(
        timeout=timeout,
        transport=AsyncShardedTransport(limits=DEFAULT_LIMITS),
        mounts=_proxy_mounts(),
        cookies=NoCookies(),
    )


def _proxy_mounts() -> dict[str, httpx.AsyncBaseTransport | None]:
    # httpx's own reading of HTTP(S)_PROXY, ALL_PROXY and NO_PROXY (it skips the variables
    # once a transport is given); ``None`` sends a pattern to the default transport.
    from httpx._utils import get_environment_proxies

    transports: dict[str, AsyncShardedTransport] = {}
    mounts: dict[str, httpx.AsyncBaseTransport | None] = {}
    for pattern, proxy in get_environment_proxies().items():
        if proxy is not None and proxy not in transports:
            transports[proxy] = AsyncShardedTransport(limits=DEFAULT_LIMITS, proxy=proxy)
        mounts[pattern] = None if proxy is None else transports[proxy]
    return mounts


class AsyncPareta:
    """The async Pareta client: ``chat``, ``models``, ``endpoints``, ``tasks``, ``evals``.

    ``api_key`` and ``base_url`` default to ``PARETA_API_KEY`` and ``PARETA_BASE_URL``
    (an explicit argument wins); close it with ``await client.aclose()`` or ``async with``.

    ``timeout`` bounds each connect, read and write. Beyond it, ``call_timeout`` bounds a
    whole non-stream call, retries included, and ``stream_idle_timeout`` the wait for a
    stream's next event (keep-alives do not count); ``None`` lifts either. The ``max_*``
    limits bound what an answer may cost in memory: an SSE line or event, a JSON body,
    the decoded size of a compressed body, and the part of an error body that is read.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        call_timeout: float | None = DEFAULT_CALL_TIMEOUT,
        stream_idle_timeout: float | None = DEFAULT_STREAM_IDLE_TIMEOUT,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        max_json_bytes: int = DEFAULT_MAX_JSON_BYTES,
        max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES,
        max_error_bytes: int = DEFAULT_MAX_ERROR_BYTES,
    ) -> None:
        key = require_api_key(api_key)
        url = normalize_base_url(base_url)
        retries = clamp_retries(max_retries)
        bounds = Bounds(
            max_event_bytes=max_event_bytes,
            max_json_bytes=max_json_bytes,
            max_decoded_bytes=max_decoded_bytes,
            max_error_bytes=max_error_bytes,
            call_timeout=call_timeout,
            stream_idle_timeout=stream_idle_timeout,
        )
        configure_from_env()
        own_timeout = to_timeout(timeout)
        self._client = AsyncAPIClient(
            api_key=key,
            base_url=url,
            max_retries=retries,
            http_client=http_client,
            new_http_client=lambda: _new_http_client(own_timeout),
            bounds=bounds,
        )
        self._mount()

    def _mount(self) -> None:
        self.chat = AsyncChat(self._client)
        self.models = AsyncModels(self._client)
        self.endpoints = AsyncEndpoints(self._client)
        self.tasks = AsyncTasks(self._client)
        self.evals = AsyncEvals(self._client)

    @functools.cached_property
    def with_raw_response(self) -> AsyncParetaWithRawResponse:
        """The same resources, each method returning an ``APIResponse`` (status, headers,
        request id, and ``parse()`` for the object): ``client.with_raw_response.models.list()``."""
        return AsyncParetaWithRawResponse(
            self.chat, self.models, self.endpoints, self.tasks, self.evals
        )

    def with_options(
        self,
        *,
        timeout: httpx.Timeout | float | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        call_timeout: float | NotGiven | None = NOT_GIVEN,
        stream_idle_timeout: float | NotGiven | None = NOT_GIVEN,
        max_event_bytes: int | NotGiven = NOT_GIVEN,
        max_json_bytes: int | NotGiven = NOT_GIVEN,
        max_decoded_bytes: int | NotGiven = NOT_GIVEN,
        max_error_bytes: int | NotGiven = NOT_GIVEN,
    ) -> AsyncPareta:
        """A client with other per-request options that shares this one's connection pool
        (and key, base URL, and what it learned of the server's rate limits). Only what
        you pass changes; ``timeout=None`` means the HTTP client's own.

        ``client.with_options(timeout=5, max_retries=0).models.list()`` is the one-call
        form. Closing the new client leaves the pool open: it closes with this one."""
        core = self._client
        given: dict[str, Any] = {
            name: value
            for name, value in (
                ("call_timeout", call_timeout),
                ("stream_idle_timeout", stream_idle_timeout),
                ("max_event_bytes", max_event_bytes),
                ("max_json_bytes", max_json_bytes),
                ("max_decoded_bytes", max_decoded_bytes),
                ("max_error_bytes", max_error_bytes),
            )
            if not isinstance(value, NotGiven)
        }
        derived = object.__new__(type(self))
        derived._client = core.derive(
            max_retries=(
                core.max_retries
                if isinstance(max_retries, NotGiven)
                else clamp_retries(max_retries)
            ),
            bounds=dataclasses.replace(core.bounds, **given),
            timeout=core.timeout if isinstance(timeout, NotGiven) else per_request_timeout(timeout),
        )
        derived._mount()
        return derived

    @classmethod
    def from_env(cls, **overrides: Any) -> AsyncPareta:
        """A client from ``PARETA_API_KEY`` and ``PARETA_BASE_URL``; explicit arguments win.

        The same as the constructor, which reads the same variables; kept for the docs."""
        return cls(**overrides)

    @property
    def base_url(self) -> str:
        return self._client.base_url

    @property
    def max_retries(self) -> int:
        return self._client.max_retries

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout requests run under (an injected client's own)."""
        return self._client.timeout or self._client.http_client.timeout

    @property
    def bounds(self) -> Bounds:
        """The limits and deadlines this client applies (see the constructor)."""
        return self._client.bounds

    @property
    def http_client(self) -> httpx.AsyncClient:
        return self._client.http_client

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, max_retries={self.max_retries})"

    def __reduce__(self) -> Any:
        raise unpicklable(type(self).__name__)

    async def map(
        self,
        method: AsyncCall[R],
        items: Iterable[object],
        *,
        concurrency: int = 64,
        on_progress: CountProgress | None = None,
    ) -> list[R | Exception]:
        """Call ``method`` (e.g. ``client.evals.runs.create``) once per item, ``concurrency``
        at a time. A dict item is passed as keyword arguments, anything else as the one
        positional argument. Results, or the exception of a failed item, come back in
        input order; an ``InsufficientCreditsError`` stops the batch early.
        ``on_progress(done, total)`` is called after each item."""
        require_positive_int(concurrency, "concurrency")
        return await arun_all(method, items, concurrency=concurrency, on_progress=on_progress)

    def batch(
        self,
        method: AsyncCall[Any],
        rows: Any,
        *,
        output: str | os.PathLike[str] | None = None,
        key: str | None = None,
        job: str | None = None,
        max_in_flight: int = 256,
        rate: float | str = "auto",
        on_progress: Progress | None = None,
    ) -> AsyncBatchJob:
        """A batch job: ``method`` (e.g. ``client.chat.completions.create``) once per row.

        ``rows`` is an iterable of rows, or the path of a JSONL file; a
        dict row is the method's keyword arguments. Run the job with ``async with job:``
        and ``async for result in job``, or ``await job.wait()``. With ``output`` (a JSONL
        results file) every finished row is written as it finishes, and running the
        same batch again resumes it: rows already done are skipped, and the rest are
        sent under the same idempotency keys, so nothing is billed twice. One job at a
        time writes an output file (a second is refused with ``ResultsFileError``).
        ``key`` names the field that identifies a row (default: the row's content, so
        editing, adding or reordering rows re-sends only the rows that changed); ``job``
        names the job (default: derived from the method and the output file, and kept in
        it).
        ``rate`` is ``"auto"`` (adapt to the server's rate limits) or a cap in requests
        per second; ``max_in_flight`` caps concurrency. ``on_progress(stats)`` is
        called after each row."""
        return AsyncBatchJob(
            method,
            rows,
            output=output,
            key=key,
            job=job,
            max_in_flight=max_in_flight,
            rate=rate,
            on_progress=on_progress,
        )

    async def aclose(self) -> None:
        """Close the HTTP client, unless it was passed in (then it is yours to close)."""
        await self._client.aclose()

    async def __aenter__(self) -> AsyncPareta:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
