"""The fan-out engine that ``create_many`` and ``map`` ran on before batch jobs: the
baseline of ``batch.py cpu`` (in-memory, fixed concurrency, results in input order)."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from pareta import InsufficientCreditsError

R = TypeVar("R")
Progress = Callable[[int, int], object]
AsyncCall = Callable[..., Awaitable[R]]
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

    workers = concurrency
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
