"""Fan-out: run one client method over many inputs with bounded concurrency.

Results come back in input order; a failed item holds its exception instead of
cancelling its siblings. An ``InsufficientCreditsError`` stops the batch early: the
calls already under way finish, nothing new starts, and every item that never ran holds
that same error (every later call would fail the same way).

The async engine runs on asyncio and trio. The sync client drives the same engine on
a background event loop (an anyio blocking portal) through an async twin of itself, so
a plain script gets the throughput of async code without a thread per request.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from ._checks import require_positive_int
from ._exceptions import InsufficientCreditsError

R = TypeVar("R")
Progress = Callable[[int, int], object]
AsyncCall = Callable[..., Awaitable[R]]
SyncCall = Callable[..., R]
_PENDING: Any = object()


def _call(method: Callable[..., R], item: object) -> R:
    return method(**item) if isinstance(item, dict) else method(item)


class _Batch:
    """The shared bookkeeping of one batch: results, progress, and the stop signal."""

    def __init__(self, items: Iterable[object], on_progress: Progress | None) -> None:
        # Threads share it in the sync fallback; uncontended, the lock costs nothing.
        self._lock = threading.Lock()
        self.items: Sequence[object] = list(items)
        self.results: list[Any] = [_PENDING] * len(self.items)
        self.on_progress = on_progress
        self.stop: InsufficientCreditsError | None = None
        self.next = 0
        self.done = 0

    def take(self) -> int | None:
        with self._lock:
            if self.stop is not None or self.next >= len(self.items):
                return None
            index, self.next = self.next, self.next + 1
            return index

    def record(self, index: int, outcome: object) -> None:
        with self._lock:
            self.results[index] = outcome
            if isinstance(outcome, InsufficientCreditsError) and self.stop is None:
                self.stop = outcome
            self.done += 1
            done = self.done
        if self.on_progress is not None:
            self.on_progress(done, len(self.items))

    def finish(self) -> list[Any]:
        return [self.stop if r is _PENDING else r for r in self.results]


async def arun_batch(
    method: AsyncCall[R],
    items: Iterable[object],
    *,
    concurrency: int = 64,
    on_progress: Progress | None = None,
) -> list[R | Exception]:
    import anyio

    workers = require_positive_int(concurrency, "concurrency")
    batch = _Batch(items, on_progress)

    async def worker() -> None:
        while (index := batch.take()) is not None:
            try:
                outcome: object = await _call(method, batch.items[index])
            except Exception as exc:  # collected per item, by design
                outcome = exc
            batch.record(index, outcome)

    async with anyio.create_task_group() as group:
        for _ in range(min(workers, len(batch.items))):
            group.start_soon(worker)
    return batch.finish()


def run_batch(
    method: SyncCall[R],
    items: Iterable[object],
    *,
    concurrency: int = 64,
    on_progress: Progress | None = None,
) -> list[R | Exception]:
    """The sync twin: the async engine on a background loop, or threads as a fallback."""
    require_positive_int(concurrency, "concurrency")
    twin = _async_twin(method)
    if twin is None:
        return _run_on_threads(method, items, concurrency, on_progress)
    from anyio.from_thread import start_blocking_portal

    client, async_method = twin
    with start_blocking_portal() as portal:
        try:
            return portal.call(
                lambda: arun_batch(
                    async_method, items, concurrency=concurrency, on_progress=on_progress
                )
            )
        finally:
            portal.call(client.aclose)


def _async_twin(method: Callable[..., Any]) -> tuple[Any, Callable[..., Any]] | None:
    """The same method on an async client configured like the sync one, when one can be
    built: an injected ``httpx.Client`` (proxies, custom transport) cannot be mirrored."""
    resource = getattr(method, "__self__", None)
    path = getattr(resource, "_path", None)
    api = getattr(resource, "_client", None)
    if path is None or api is None or not api.owns_http_client:
        return None
    from ._async._client import AsyncPareta

    client = AsyncPareta(
        api_key=api.api_key,
        base_url=api.base_url,
        timeout=api.http_client.timeout,
        max_retries=api.max_retries,
    )
    target: Any = client
    for name in path.split("."):
        target = getattr(target, name)
    return client, getattr(target, method.__name__)


def _run_on_threads(
    method: Callable[..., R],
    items: Iterable[object],
    concurrency: int,
    on_progress: Progress | None,
) -> list[R | Exception]:
    batch = _Batch(items, on_progress)

    def worker() -> None:
        while (index := batch.take()) is not None:
            try:
                outcome: object = _call(method, batch.items[index])
            except Exception as exc:  # collected per item, by design
                outcome = exc
            batch.record(index, outcome)

    with ThreadPoolExecutor(max_workers=min(concurrency, max(1, len(batch.items)))) as pool:
        futures = [pool.submit(worker) for _ in range(min(concurrency, len(batch.items)))]
        for future in futures:
            future.result()
    return batch.finish()
