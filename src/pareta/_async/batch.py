"""Batch jobs: one client method over many rows, streamed, resumable, billed once.

Rows are read lazily and results leave as rows finish, so memory is bounded by what is
in flight, not by the number of rows. With an ``output`` file each finished row is a
line on disk, and running the same job again skips the rows already done and resends
the rest under the same idempotency keys, so the server replays what it already billed.
The pace adapts to the server's rate limits (``_batch.rate``); a 429 handled here never
becomes a row's error. ``create_many`` and ``map`` are the in-memory form of this engine.
"""

from __future__ import annotations

import inspect
import itertools
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from .._batch.file import (
    DoneKeys,
    ResultsFile,
    ResultsFileError,
    open_results,
    row_record,
    stop_record,
)
from .._batch.input import BadRow, JsonLine, KeyedLine, fresh_lines
from .._batch.keys import (
    RowKeys,
    call_name,
    default_job,
    repeated_key,
    require_job,
    row_key_of,
    variant_of,
)
from .._batch.rate import RateControl, Spacing, pace_for, parse_rate
from .._batch.state import (
    BatchInterrupted,
    BatchResult,
    BatchStats,
    BatchStopped,
    CountProgress,
    JobState,
    Progress,
    RowTrace,
    plural_rows,
)
from .._batch.twins import (
    END,
    AsyncChannel,
    AsyncInterrupts,
    AsyncTaskGroup,
    aiter_rows,
    aiterate_unentered,
    plain_rows,
)
from .._checks import require_positive_int
from .._exceptions import ParetaError
from .._observers import current_observer
from .._twins import acheckpoint

# Workers start few and double as rows succeed (TCP's slow start): a server with a rate
# limit sees a handful of requests, not max_in_flight of them, before it can push back.
INITIAL_WORKERS = 8
YIELD_EVERY = 8


RUNS_ONCE = "a batch job runs once: call batch(...) again (same output file) to resume it"


@dataclass(frozen=True)
class _Row:
    index: int
    row_key: str
    key: str
    call: Any
    error: Exception | None = None
    repeat: int = 1


class AsyncBatchJob:
    """One batch job. Run it inside ``async with``, iterating it for each ``BatchResult``
    in completion order, or with ``await job.wait()``; ``job.stats`` says where it is."""

    def __init__(
        self,
        method: Callable[..., Any],
        rows: Any,
        *,
        output: str | os.PathLike[str] | None = None,
        key: str | None = None,
        job: str | None = None,
        max_in_flight: int = 256,
        rate: float | str = "auto",
        on_progress: Progress | None = None,
    ) -> None:
        if not callable(method):
            raise TypeError(
                f"method must be a client method, e.g. pa.chat.completions.create, not {method!r}"
            )
        self._method = method
        self._name = call_name(method)
        self._takes_key = _takes_idempotency_key(method)
        self._rows = rows
        self._output = output
        self._key_field = key
        self.job = require_job(job) if job is not None else default_job(self._name, output)
        self._named = job is not None
        # A caller's job id promises stable keys (a retried Ray task), as a results file does.
        self._stable = output is not None or job is not None
        self._by_content = self._stable and key is None
        # The command line reads its rows from a file and shapes each into a request: rows
        # are keyed by what the file holds, and its options go into every key.
        self._shape: Callable[[object, int], object] | None = None
        self._salt = ""
        self._max = require_positive_int(max_in_flight, "max_in_flight")
        self._cap = Spacing(parse_rate(rate), time.monotonic)
        self._pace = _pace_of(method)
        self._on_progress = on_progress
        self.stats = BatchStats()
        self._state = JobState(self.stats)
        self._entered = self._exhausted = self._finished = False
        self._file: ResultsFile | None = None
        self._done = DoneKeys.empty()
        self._signals = 0
        # The sync twin's workers are threads: one at a time takes the next row, or reports.
        self._take = threading.Lock()
        self._report = threading.Lock()
        self._sink: Callable[[BatchResult], object] | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(job={self.job!r}, method={self._name!r})"

    async def __aenter__(self) -> AsyncBatchJob:
        if self._entered:
            raise ParetaError(RUNS_ONCE)
        self._entered = True
        if self._output is not None:
            opened = open_results(
                self._output,
                self.job,
                self._name,
                self._key_field,
                named=self._named,
                variant=variant_of(self._name, self._salt),
            )
            self._file, self._done, self.job = opened.writer, opened.done, opened.job
        self._keys = RowKeys(self.job, self._name, self._key_field, self._salt)
        # Rows from a plain iterable or a file are taken by the workers themselves; an async
        # iterable is read by one task into a queue (two tasks cannot share its iterator).
        self._plain = plain_rows(self._rows)
        self._numbered: Iterator[tuple[int, object]] | None = None
        if self._plain is not None:
            self._numbered = enumerate(self._plain)
        if self._by_content and isinstance(self._rows, (str, os.PathLike)):
            fresh = fresh_lines(self._rows, self._keys, self._done.hashes, self._passed)
            self._plain = self._numbered = fresh
        self._todo = AsyncChannel(self._max)
        self._results = AsyncChannel(self._max)
        self._interrupts = AsyncInterrupts(self._on_signal)
        self._group = AsyncTaskGroup()
        # Signals are watched until the last row in flight is written (a second one
        # abandons those): the watch opens first and closes last.
        try:
            await self._interrupts.__aenter__()
        except BaseException:  # cancelled before the job began: leave nothing open
            self._finished = True
            self._release()
            raise
        try:
            await self._group.__aenter__()
        except BaseException:  # pragma: no cover - entering a task group does not fail
            await self._interrupts.__aexit__(None, None, None)
            raise
        self._group.start_soon(self._run)
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self._finished = True
        if self._sink is None and not self._exhausted:
            self._state.stop("closed")
        # Rows under way finish and are written; nobody reads their results any more.
        self._results.abandon()
        try:
            await self._group.__aexit__(*exc_info)
        finally:
            try:
                await self._interrupts.__aexit__(*exc_info)
            finally:
                self._release()
        if exc_info[0] is None:
            self._raise_if_stopped_by_caller()

    def _release(self) -> None:
        """Close the queues, the rows' iterator and the results file."""
        for channel in (self._todo, self._results):
            channel.close()
            channel.abandon()
        if self._plain is not None:
            self._plain.close()
        if self._file is not None:
            self._file.close()

    def __aiter__(self) -> AsyncIterator[BatchResult]:
        if self._finished:
            raise ParetaError(RUNS_ONCE)
        return self if self._entered else aiterate_unentered(self)

    async def __anext__(self) -> BatchResult:
        if not self._entered:
            raise ParetaError(
                "run a batch job inside `async with client.batch(...) as job:` to iterate "
                "it, or `await job.wait()` to run it to the end"
            )
        result = await self._results.get()
        self.stats.rate = self._rate()
        if result is END:
            self._exhausted = True
            raise StopAsyncIteration
        self._progress()
        return result  # type: ignore[no-any-return]

    async def wait(self) -> BatchStats:
        """Run the job to the end (or until it stops) and return its stats."""
        # Nobody iterates: each worker reports its own rows instead of queueing them for a
        # reader, which saves a task switch a row.
        self._sink = self._sink or _discard
        async with self:
            pass
        return self.stats

    def _rate(self) -> float | None:
        rates = [r for r in (self._cap.rate, self._pace.rate) if r is not None]
        return min(rates) if rates else None

    def _progress(self) -> None:
        if self._on_progress is None:
            return
        with self._report:
            try:
                self._on_progress(self.stats)
            except Exception as exc:  # the caller's code: stop cleanly, then raise it
                self._on_progress = None
                self._state.stop("on_progress", exc)

    def _raise_if_stopped_by_caller(self) -> None:
        error = self._state.stop_error
        if self.stats.stopped in ("output_failed", "input_failed") and error is not None:
            raise error
        if self.stats.stopped == "interrupted":
            raise BatchInterrupted(self.stats)
        if self.stats.stopped == "on_progress" and error is not None:
            raise BatchStopped(
                f"on_progress raised {type(error).__name__}: {error}; the batch stopped "
                f"after {plural_rows(self.stats.finished)} (all written)",
                self.stats,
            ) from error

    def _on_signal(self, signum: int) -> None:
        self._signals += 1
        if self._signals == 1:
            self._state.stop("interrupted")
        else:
            self._group.abandon()

    async def _run(self) -> None:
        try:
            async with AsyncTaskGroup() as self._pool:
                if self._plain is None:
                    self._pool.start_soon(self._feed)
                for _ in range(INITIAL_WORKERS):
                    self._add_worker()
        finally:
            reason = self.stats.stopped
            if self._file is not None and reason not in (
                None,
                "closed",
                "output_failed",
                "input_failed",
            ):
                self._file.write(stop_record(reason or "", str(self._state.stop_error or reason)))
            self._results.close()

    def _add_worker(self) -> None:
        # Read without the lock first: once all workers run, a success costs no lock here.
        if self._state.workers < self._max and self._state.claim_worker(self._max):
            self._pool.start_soon(self._work)

    async def _feed(self) -> None:
        index = -1
        try:
            async with aclosing(aiter_rows(self._rows)) as rows:
                async for row in rows:
                    index += 1
                    if self._state.stopping:
                        break
                    prepared = self._prepare(index, row)
                    if prepared is None:
                        self._state.skipped()
                    elif not await self._todo.put(prepared):
                        break
        except Exception as exc:  # the caller's iterable failed: stop, then raise it
            self._state.stop("input_failed", exc)
        finally:
            self._todo.close()

    async def _next_row(self) -> _Row | None:
        """The next row to send, past those already done; ``None`` when there is none."""
        if self._numbered is None:
            row = await self._todo.get()
            return None if row is END else row
        # One worker at a time takes rows (and skips those done) under the lock.
        with self._take:
            while not self._state.stopping:
                try:
                    index, raw = next(self._numbered)
                except StopIteration:
                    return None
                except Exception as exc:  # the caller's iterable failed: stop, then raise it
                    self._state.stop("input_failed", exc)
                    return None
                prepared = self._prepare(index, raw)
                if prepared is not None:
                    return prepared
                self.stats.skipped += 1
        return None

    def _passed(self, count: int) -> None:
        self.stats.skipped += count

    def _prepare(self, index: int, row: object) -> _Row | None:
        """The row ready to send, or ``None`` when the results file has it done."""
        if isinstance(row, KeyedLine):  # keyed, and not done: see __aenter__
            return self._shaped(index, row.row_key, row.key, row.parse())
        raw = None
        if isinstance(row, JsonLine):  # a JSONL file's row, keyed by a field
            raw = row.raw
            row = row.parse()
        if self._by_content:
            row_key, key = self._keys.of_value(row)  # the file keeps row keys: see __aenter__
            return None if row_key in self._done else self._shaped(index, row_key, key, row)
        shaped = row if self._shape is None else self._shape(row, index)
        error = shaped.error if isinstance(shaped, BadRow) else None
        try:
            # A row no request can be made of is still known by its field, if it has one.
            row_key = row_key_of(row if error else shaped, index, self._key_field)
        except ValueError as exc:
            return _Row(index, f"#{index}", f"{self.job}.bad.{index}", None, error or exc)
        call = None
        if error is None:
            try:
                call = _call_of(shaped, self._key_field)
            except ValueError as exc:
                error = exc
        if not self._stable or self._key_field is None:
            # Neither a results file nor a job id to resume under: a key unique to this run
            # is enough, and cheaper.
            return _Row(index, row_key, f"{self.job}.{index}", call, error)
        key, times = self._keys.of_field(row_key, call, raw)
        if key in self._done:
            return None
        if times > 1:  # sent once already, under this value: this one fails, unsent
            error = repeated_key(index, self._key_field, row_key)
            return _Row(index, row_key, key, None, error, times)
        return _Row(index, row_key, key, call, error)

    def _shaped(self, index: int, row_key: str, key: str, row: object) -> _Row:
        """A row keyed by its content, made into the method's arguments."""
        if self._shape is not None:
            row = self._shape(row, index)
        if isinstance(row, BadRow):
            return _Row(index, row_key, key, None, row.error)
        try:
            return _Row(index, row_key, key, _call_of(row, None))
        except ValueError as exc:
            return _Row(index, row_key, key, None, exc)

    async def _work(self) -> None:
        while (row := await self._next_row()) is not None:
            if self._state.stopping:
                continue  # not started: a resume sends it
            result = await self._attempt(row)
            if result.ok:
                self._add_worker()
            if self._sink is None:
                await self._results.put(result)
                continue
            self._sink(result)
            self.stats.rate = self._rate()
            self._progress()
            if row.index % YIELD_EVERY == 0:
                # A server that answers without making the client wait (a mocked one)
                # must not let a worker hold the event loop for the whole job.
                await acheckpoint()

    async def _attempt(self, row: _Row) -> BatchResult:
        trace = RowTrace(self._pace, self._cap)
        self._state.started()
        answer: Any = None
        error = row.error
        if error is None:
            token = current_observer.set(trace)
            try:
                answer = await self._call(row)
            except Exception as exc:  # collected per row, by design
                error = exc
            finally:
                current_observer.reset(token)
        self._state.finished(trace, error)
        if self._file is not None:
            record = row_record(
                row.key, row.row_key, row.index, trace.attempts, trace.request_id, answer, error,
                call=row.call, repeat=row.repeat,
            )  # fmt: skip
            try:
                self._file.write(record)
            except ResultsFileError as exc:
                self._state.stop("output_failed", exc)
        return BatchResult(row.row_key, row.index, answer, error, trace.attempts, trace.request_id)

    async def _call(self, row: _Row) -> Any:
        extra = {"idempotency_key": row.key} if self._takes_key else {}
        if isinstance(row.call, dict):
            return await self._method(**row.call, **extra)
        return await self._method(row.call, **extra)


def _pace_of(method: Callable[..., Any]) -> RateControl:
    """The pace learned for the org a client method calls: the same for every job, batch
    or partition run with that client; a plain function gets one of its own."""
    client = getattr(getattr(method, "__self__", None), "_client", None)
    return RateControl() if client is None else pace_for(client)


def _discard(result: BatchResult) -> None:
    return None


def _call_of(row: object, key_field: str | None) -> object:
    """The method's arguments: a dict row as keywords (less the key field), or the row."""
    if not isinstance(row, dict):
        return row
    call = row if key_field is None else {k: v for k, v in row.items() if k != key_field}
    if call.get("stream"):
        raise ValueError("a batch runs whole calls: drop stream=True from the row")
    return call


def _takes_idempotency_key(method: Callable[..., Any]) -> bool:
    try:
        return "idempotency_key" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


async def arun_all(
    method: Callable[..., Any],
    items: Iterable[object],
    *,
    concurrency: int,
    on_progress: CountProgress | None,
) -> list[Any]:
    """The in-memory form: results (or exceptions) in input order; an error that stops
    the job (402, 401, 403) stands in for every item that never ran."""
    items = list(items)
    results: list[Any] = [END] * len(items)
    progress = None
    if on_progress is not None:
        delivered, total = itertools.count(1), len(items)
        progress = lambda stats: on_progress(next(delivered), total)  # noqa: E731
    job = AsyncBatchJob(method, items, max_in_flight=concurrency, on_progress=progress)

    def keep(outcome: BatchResult) -> None:
        results[outcome.index] = outcome.result if outcome.ok else outcome.error

    job._sink = keep
    try:
        await job.wait()
    except (BatchStopped, BatchInterrupted) as exc:
        exc.results = [None if r is END else r for r in results]
        raise
    stand_in = job._state.stop_error
    return [stand_in if r is END else r for r in results]
