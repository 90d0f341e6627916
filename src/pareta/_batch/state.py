"""A batch job's bookkeeping: its results, its counters, and why it stopped.

Shared by the async engine and its generated sync twin, whose workers are threads: the
counters sit behind one lock, uncontended in the async engine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .._exceptions import (
    AuthenticationError,
    InsufficientCreditsError,
    ParetaError,
    PermissionDeniedError,
)
from .rate import RateControl, Spacing

R = TypeVar("R")
AsyncCall = Callable[..., Awaitable[R]]
SyncCall = Callable[..., R]
Progress = Callable[["BatchStats"], object]
CountProgress = Callable[[int, int], object]

_WANTED = frozenset(
    {
        b"x-request-id",
        b"idempotent-replayed",
        b"x-pareta-cost-micro-usd",
        b"x-ratelimit-limit",
        b"x-ratelimit-remaining",
        b"x-ratelimit-reset",
    }
)

# A 404 on each of the first rows, with none answered, means the target does not exist.
FIRST_FAILURES = 3

# A 429 that the engine handles is retried without counting against ``max_retries``, up
# to this many times for one row: a server that refuses forever still ends the job.
MAX_THROTTLED = 100


@dataclass(slots=True)
class BatchResult:
    """One finished row: its answer or its error, and how it got there."""

    key: str
    index: int
    result: Any = None
    error: Exception | None = None
    attempts: int = 0
    request_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class BatchStats:
    """Where a job stands. ``rate`` is the current pace in requests a second (``None``
    while unpaced); ``stopped`` says why the job stopped early, if it did."""

    done: int = 0
    failed: int = 0
    skipped: int = 0
    attempts: int = 0
    throttled: int = 0
    replays: int = 0
    billed_micro_usd: int = 0
    in_flight: int = 0
    rate: float | None = None
    stopped: str | None = None
    started: float = field(default_factory=time.monotonic)

    @property
    def finished(self) -> int:
        return self.done + self.failed

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rows_per_second(self) -> float:
        return self.finished / self.elapsed if self.elapsed > 0 else 0.0


class RowTrace:
    """What the request core reports about one row's attempts while a job runs it (an
    ``Observer``, set in ``current_observer`` around the row's call)."""

    __slots__ = ("attempts", "cap", "cost", "pace", "replayed", "request_id", "sent", "throttled")

    def __init__(self, pace: RateControl, cap: Spacing) -> None:
        self.pace = pace
        self.cap = cap
        self.attempts = 0
        self.throttled = 0
        self.request_id: str | None = None
        self.replayed = False
        self.cost = 0
        self.sent: float | None = None

    def admit(self) -> tuple[float, bool]:
        """The job's own cap (``rate=N``) first, then the pace learned for the org."""
        delay, booked = self.cap.reserve()
        if booked:
            paced, booked = self.pace.reserve()
            delay = max(delay, paced)
            if booked:
                self.sent = self.pace.now() + delay
        return delay, booked

    def answered(self, status: int, raw_headers: Iterable[tuple[bytes, bytes]]) -> None:
        # One pass over the raw headers: each lookup in httpx's Headers scans them all.
        headers = {
            name.lower().decode("latin-1"): value.decode("latin-1")
            for name, value in raw_headers
            if name.lower() in _WANTED
        }
        self.attempts += 1
        self.request_id = headers.get("x-request-id", self.request_id)
        self.pace.observe(status, headers, sent=self.sent)
        if status == 429:
            self.throttled += 1
        elif 200 <= status < 300:
            self.replayed = headers.get("idempotent-replayed") == "true"
            self.cost = _micro_usd(headers.get("x-pareta-cost-micro-usd"))

    def failed(self) -> None:
        self.attempts += 1

    def handles(self, status: int) -> bool:
        """Whether the job retries this answer itself (a 429, within bounds)."""
        return status == 429 and self.throttled <= MAX_THROTTLED


class JobState:
    """The counters of one job, and the decision to stop starting rows."""

    def __init__(self, stats: BatchStats) -> None:
        self.stats = stats
        self.stop_error: Exception | None = None
        self._lock = threading.Lock()
        self._answered_any = False
        self.workers = 0
        self._not_found = 0

    @property
    def stopping(self) -> bool:
        return self.stats.stopped is not None

    def stop(self, reason: str, error: Exception | None = None) -> None:
        with self._lock:
            if self.stats.stopped is None:
                self.stats.stopped = reason
                self.stop_error = error

    def claim_worker(self, limit: int) -> bool:
        """Whether one more worker may start (slow start, up to ``limit``)."""
        with self._lock:
            if self.workers >= limit or self.stats.stopped is not None:
                return False
            self.workers += 1
            return True

    def skipped(self) -> None:
        with self._lock:
            self.stats.skipped += 1

    def started(self) -> None:
        with self._lock:
            self.stats.in_flight += 1

    def finished(self, trace: RowTrace, error: Exception | None) -> None:
        with self._lock:
            stats = self.stats
            stats.in_flight -= 1
            stats.attempts += trace.attempts
            stats.throttled += trace.throttled
            stats.replays += trace.replayed
            stats.billed_micro_usd += 0 if trace.replayed else trace.cost
            if error is None:
                stats.done += 1
                self._answered_any = True
            else:
                stats.failed += 1
        if error is not None:
            self._judge(error)

    def _judge(self, error: Exception) -> None:
        """Stop the job on an error that every later row would repeat."""
        if isinstance(error, InsufficientCreditsError):
            self.stop("insufficient_credits", error)
        elif isinstance(error, (AuthenticationError, PermissionDeniedError)):
            self.stop("unauthorized", error)
        elif getattr(error, "status_code", None) == 404 and not self._answered_any:
            self._not_found += 1
            if self._not_found >= FIRST_FAILURES:
                self.stop("not_found", error)


def _micro_usd(value: str | None) -> int:
    """A cost header, which a server may not send; nonsense reads as nothing billed."""
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


class BatchStopped(ParetaError):
    """A job stopped because the caller's own code failed (``on_progress`` raised): rows
    under way were finished and written first. ``results`` is what an in-memory batch
    (``create_many``, ``map``) had, in input order (``None`` for rows not run)."""

    def __init__(self, message: str, stats: BatchStats, results: list[Any] | None = None) -> None:
        super().__init__(message)
        self.stats = stats
        self.results = results


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped the job after what was in flight finished (a second
    signal abandons that). A job with an ``output`` file resumes where it stopped."""

    def __init__(self, stats: BatchStats, results: list[Any] | None = None) -> None:
        super().__init__(
            f"batch interrupted after {stats.finished} rows ({stats.done} answered); "
            "run the same batch with the same output file to resume it"
        )
        self.stats = stats
        self.results = results
