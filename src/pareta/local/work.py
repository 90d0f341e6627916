"""Heavy work (big chat bodies, scoring) in worker processes, shared fairly between orgs.

A regex or a JSON parser holds the GIL, so a worker thread stalls the event
loop as surely as the loop itself would: one 12 KB eval row held every other
org's requests for seconds. Work larger than ``inline_work_bytes`` runs in a
process pool instead (``workers`` processes, started on first use and shared by
every server in the process). Each org has its own queue and the queues are
served in turn, so an org with a thousand jobs waiting delays another org's
job by at most one job per worker. An org may have ``max_queued_per_org`` jobs
waiting or running (429 past it) and the server ``max_queued`` waiting in all
(503 past it), each with ``Retry-After``.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from typing import Any, NamedTuple, TypeVar

import anyio
from fastapi import HTTPException

T = TypeVar("T")

PARENT_CHECK_SECONDS = 0.5
_executors: dict[int, ProcessPoolExecutor] = {}
_executors_lock = threading.Lock()


def _executor(workers: int) -> ProcessPoolExecutor:
    """The process pool of `workers` processes, one per size for the whole process."""
    with _executors_lock:
        executor = _executors.get(workers)
        if executor is None:
            # Spawned, not forked: the server runs threads, and a fork copies their locks.
            context = multiprocessing.get_context("spawn")
            executor = _executors[workers] = ProcessPoolExecutor(
                workers, mp_context=context, initializer=_start_worker
            )
        return executor


def shutdown() -> None:
    """Stop the worker processes now, running jobs included (a server process exiting)."""
    with _executors_lock:
        executors = list(_executors.values())
        _executors.clear()
    for executor in executors:
        executor.shutdown(wait=False, cancel_futures=True)
    # Otherwise the interpreter waits at exit for whatever job a worker is running.
    for child in multiprocessing.active_children():
        child.terminate()


def _start_worker() -> None:  # pragma: no cover - runs in the worker processes
    # Heavy work yields the CPU to the server's event loop when both want it.
    if hasattr(os, "nice"):
        os.nice(10)
    # A worker outlives a server killed outright (its queue's pipe stays open in the
    # other workers): it leaves as soon as its parent has gone.
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="pareta-parent-watch", daemon=True).start()


class Busy(HTTPException):
    """The org's queue (429) or the server's (503) is full; retry after a second."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(status, detail, headers={"Retry-After": "1"})


class _Job(NamedTuple):
    call: Callable[..., Any]
    args: tuple[Any, ...]
    future: Future[Any]


class WorkPool:
    """Per-org queues of jobs, run in turn on a process pool (see the module docstring)."""

    def __init__(self, workers: int, max_queued_per_org: int, max_queued: int) -> None:
        self.workers = workers
        self.max_queued_per_org = max_queued_per_org
        self.max_queued = max_queued
        self._lock = threading.Lock()
        self._queues: OrderedDict[str, deque[_Job]] = OrderedDict()  # next org to serve first
        self._held: Counter[str] = Counter()  # jobs waiting or running, per org
        self._waiting = 0
        self._running = 0
        self._waiters: anyio.CapacityLimiter | None = None
        self.closed = False

    def submit(
        self, org_id: str, call: Callable[..., T], *args: Any, bounded: bool = True
    ) -> Future[T]:
        """Queue `call(*args)` for `org_id`; `Busy` when a queue is full (unless not `bounded`)."""
        future: Future[T] = Future()
        with self._lock:
            if bounded:
                self._admit(org_id)
            self._queues.setdefault(org_id, deque()).append(_Job(call, args, future))
            self._held[org_id] += 1
            self._waiting += 1
        self._dispatch()
        return future

    def _admit(self, org_id: str) -> None:
        if self._held[org_id] >= self.max_queued_per_org:
            raise Busy(
                429,
                f"This org has {self._held[org_id]} heavy requests in progress; at most "
                f"{self.max_queued_per_org} are (max_queued_per_org, --max-queued-per-org). "
                "Retry after 1 s, or send fewer at once.",
            )
        if self._waiting >= self.max_queued:
            raise Busy(
                503,
                f"The server has {self._waiting} heavy requests waiting (max_queued, "
                "--max-queued); retry after 1 s.",
            )

    def _dispatch(self) -> None:
        # Called without the lock: a job that ends at once calls `_finished` on this thread.
        while (taken := self._take()) is not None:
            org_id, job = taken
            try:
                inner = _executor(self.workers).submit(job.call, *job.args)
            except RuntimeError as exc:  # pragma: no cover - the pool was shut down
                inner = Future()
                inner.set_exception(exc)
            inner.add_done_callback(functools.partial(self._finished, org_id, job))

    def _take(self) -> tuple[str, _Job] | None:
        """The next job to run, in the next org's turn, if a worker is free."""
        with self._lock:
            while self._running < self.workers and self._queues:
                org_id, queue = next(iter(self._queues.items()))
                job = queue.popleft()
                if queue:
                    self._queues.move_to_end(org_id)  # the others go before its next job
                else:
                    del self._queues[org_id]
                self._waiting -= 1
                if job.future.set_running_or_notify_cancel():
                    self._running += 1
                    return org_id, job
                self._release(org_id)  # cancelled while it waited
            return None

    def _release(self, org_id: str, jobs: int = 1) -> None:
        self._held[org_id] -= jobs
        if self._held[org_id] <= 0:
            del self._held[org_id]

    def _finished(self, org_id: str, job: _Job, done: Future[Any]) -> None:
        with self._lock:
            self._running -= 1
            self._release(org_id)
        error = done.exception()
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(done.result())
        self._dispatch()

    def cancel_org(self, org_id: str) -> None:
        """Drop the org's waiting jobs (its running ones finish, unread)."""
        with self._lock:
            queue = self._queues.pop(org_id, deque())
            self._waiting -= len(queue)
            if queue:
                self._release(org_id, len(queue))
        for job in queue:
            job.future.cancel()

    def close(self) -> None:
        """Drop every waiting job; runs in progress stop at their next chunk."""
        self.closed = True
        with self._lock:
            orgs = list(self._queues)
        for org_id in orgs:
            self.cancel_org(org_id)

    async def run(self, org_id: str, call: Callable[..., T], *args: Any) -> T:
        """`call(*args)` on a worker process, in the org's turn; `Busy` when queues are full."""
        future = self.submit(org_id, call, *args)
        if self._waiters is None:
            # Threads that only wait on a future: at most one per job the queues admit.
            self._waiters = anyio.CapacityLimiter(self.max_queued + self.workers)
        try:
            return await anyio.to_thread.run_sync(
                future.result, abandon_on_cancel=True, limiter=self._waiters
            )
        except CancelledError:  # pragma: no cover - only an org dropped mid-request
            raise HTTPException(409, "This org was dropped while its request ran.") from None
        finally:
            future.cancel()  # a client gone while its job waited frees its place
