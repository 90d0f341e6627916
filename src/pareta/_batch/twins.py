"""The pairs that differ between the async batch engine and its sync twin: rows read by
tasks or by threads, a bounded queue, a group of workers, and the signals that stop a job.

As in ``pareta._twins``, each async name maps onto its sync twin in ``tools/gen_sync.py``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from typing import Any


async def aiter_rows(rows: Any) -> AsyncGenerator[object, None]:
    """An async iterable's rows, read by one task. (A file's lines and a plain iterable's
    rows are taken by the workers in turn: see ``plain_rows``.)"""
    async for row in rows:
        yield row


def iter_rows(rows: Any) -> Generator[object, None]:
    """A batch job's rows for the sync client: a JSONL file's lines or a plain iterable."""
    from .input import jsonl_lines

    if isinstance(rows, (str, os.PathLike)):
        yield from jsonl_lines(rows)
    elif hasattr(rows, "__aiter__"):
        raise TypeError(
            "the sync client reads rows from a plain iterable; an async iterable "
            "needs AsyncPareta.batch"
        )
    else:
        yield from rows


def plain_rows(rows: Any) -> Generator[object, None] | None:
    """A file's or a plain iterable's rows, which workers can take in turn; ``None`` for
    an async iterable (only one task may iterate that)."""
    if not isinstance(rows, (str, os.PathLike)) and hasattr(rows, "__aiter__"):
        return None
    return iter_rows(rows)


def aiterate_unentered(job: Any) -> AsyncIterator[Any]:
    """An async job iterates only inside ``async with``: an async generator that a loop
    leaves early is finished when collected, too late to stop the job cleanly."""
    from .._exceptions import ParetaError

    raise ParetaError(
        "run a batch job inside `async with client.batch(...) as job:` to iterate it, "
        "or `await job.wait()` to run it to the end"
    )


def iterate_unentered(job: Any) -> Iterator[Any]:
    """The sync twin starts the job at the loop's first ``next`` and stops it when the loop
    ends or breaks (the loop drops this generator, which closes it and leaves ``with``)."""
    with job:
        yield from job


END: Any = object()


class AsyncChannel:
    """A bounded queue between tasks, closed by its one producer."""

    def __init__(self, capacity: int) -> None:
        import anyio

        self._send, self._receive = anyio.create_memory_object_stream[Any](capacity)

    # Each try the non-blocking call first: anyio's blocking ones yield to the event loop
    # even when they need not wait, which cost a third of a batch row's CPU.
    async def put(self, item: Any) -> bool:
        """Whether the item went in (not if the reader left)."""
        import anyio

        try:
            try:
                self._send.send_nowait(item)
            except anyio.WouldBlock:
                await self._send.send(item)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            return False
        return True

    async def get(self) -> Any:
        """The next item, or ``END`` once the producer closed and all were taken."""
        import anyio

        try:
            try:
                return self._receive.receive_nowait()
            except anyio.WouldBlock:
                return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            return END

    def close(self) -> None:
        self._send.close()

    def abandon(self) -> None:
        """The reader leaves: waiting and later ``put`` calls return ``False``."""
        self._receive.close()


class Channel:
    """The sync twin, between threads."""

    def __init__(self, capacity: int) -> None:
        import collections
        import threading

        self._items: collections.deque[Any] = collections.deque()
        self._capacity = max(1, capacity)
        self._ready = threading.Condition()
        self._closed = self._abandoned = False

    def put(self, item: Any) -> bool:
        with self._ready:
            while len(self._items) >= self._capacity and not self._abandoned:
                self._ready.wait()
            if self._abandoned:
                return False
            self._items.append(item)
            self._ready.notify_all()
            return True

    def get(self) -> Any:
        with self._ready:
            while not self._items and not (self._closed or self._abandoned):
                self._ready.wait()
            if not self._items:
                return END
            self._ready.notify_all()
            return self._items.popleft()

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def abandon(self) -> None:
        with self._ready:
            self._abandoned = True
            self._items.clear()
            self._ready.notify_all()


class AsyncTaskGroup:
    """Runs functions concurrently and waits for all of them on exit."""

    async def __aenter__(self) -> AsyncTaskGroup:
        import anyio

        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        return await self._group.__aexit__(*exc_info)

    def start_soon(self, function: Any, *args: Any) -> None:
        self._group.start_soon(function, *args)

    def abandon(self) -> None:
        """Cancel every task: what is in flight is dropped."""
        self._group.cancel_scope.cancel()


class TaskGroup:
    """The sync twin: each function on its own daemon thread, joined on exit."""

    def __enter__(self) -> TaskGroup:

        self._threads: list[threading.Thread] = []
        self._errors: list[BaseException] = []
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if exc_info[0] is KeyboardInterrupt:
            return  # abandoned: daemon threads end with the process
        # A thread may start more threads while this waits: join until none is left.
        while self._threads:
            self._threads.pop().join()
        if self._errors and exc_info[0] is None:
            raise self._errors[0]

    def start_soon(self, function: Any, *args: Any) -> None:
        import threading

        thread = threading.Thread(target=self._run, args=(function, *args), daemon=True)
        thread.start()
        self._threads.append(thread)  # started first: only a started thread can be joined

    def _run(self, function: Any, *args: Any) -> None:
        try:
            function(*args)
        except BaseException as exc:  # re-raised by the thread that waits
            self._errors.append(exc)

    def abandon(self) -> None:
        """Threads cannot be cancelled: stop waiting for them (they die with the process)."""
        raise KeyboardInterrupt


class AsyncInterrupts:
    """Calls ``handler`` on each SIGINT or SIGTERM while open (main thread only: signal
    handlers can be set nowhere else), instead of letting the first one kill the job."""

    def __init__(self, handler: Any) -> None:
        self._handler = handler
        self._group: Any = None

    async def __aenter__(self) -> AsyncInterrupts:
        import threading

        import anyio

        if threading.current_thread() is threading.main_thread():
            self._group = anyio.create_task_group()
            await self._group.__aenter__()
            try:
                await self._group.start(self._watch)
            except BaseException:  # cancelled while starting: leave the group as found
                await self.__aexit__(None, None, None)
                self._group = None
                raise
        return self

    async def _watch(self, *, task_status: Any) -> None:
        import signal

        import anyio

        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            task_status.started()
            async for signum in signals:
                self._handler(signum)

    async def __aexit__(self, *exc_info: Any) -> None:
        if self._group is not None:
            self._group.cancel_scope.cancel()
            await self._group.__aexit__(None, None, None)


class Interrupts:
    """The sync twin, with ``signal.signal``; the old handlers come back on exit."""

    def __init__(self, handler: Any) -> None:
        self._handler = handler
        self._old: dict[int, Any] = {}

    def __enter__(self) -> Interrupts:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._old[signum] = signal.signal(signum, self._on_signal)
        return self

    def _on_signal(self, signum: int, frame: Any) -> None:
        self._handler(signum)

    def __exit__(self, *exc_info: Any) -> None:
        import signal

        for signum, handler in self._old.items():
            signal.signal(signum, handler)
