"""Dask: a client method for each row of a bag or a dataframe, through the batch engine,
one client per worker process.

    import dask.dataframe as dd
    import pareta.dask

    answered = pareta.dask.batch(
        ddf,                         # a dask DataFrame, or a Bag of dicts
        "chat.completions.create",   # or "evals.runs.create", any client method
        job="reviews-2026-11",       # with each row's key: the row's idempotency key
        key="id",
        model="ep_...",
    )
    answered.compute()

``batch`` is ``map_partitions``, lazy like any Dask step, and runs on any scheduler
(a ``distributed`` cluster of processes or threads, or none). Each process that runs a
partition keeps one ``AsyncPareta`` for its life, on an event loop of its own in a
daemon thread, so the pace it learned from the server carries from one partition to the
next, and the partitions its worker threads run at once share it: a row waiting out a
backoff holds up its own partition, not the worker's other threads. Each partition is a
batch job, every row sent with the idempotency key of the job and its row key, so a
partition Dask runs again (a worker died) is replayed by the server, not billed twice.

Rows, requests and output columns are ``pareta.ray``'s: the same options and the same
columns. Needs ``pip install "pareta[dask]"``.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

try:
    import dask  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised where dask is not installed
    raise ImportError(
        f'pareta.dask needs the optional "dask" dependencies ({exc.name} is missing). '
        'Install them with: pip install "pareta[dask]"'
    ) from exc

import anyio
from anyio.from_thread import BlockingPortal

from ._tables.batches import CHAT, OUTPUTS, Connection, RowCalls, answer_batch, row_calls

__all__ = ["OUTPUTS", "batch"]

Hook = Callable[[dict[str, Any]], Mapping[str, Any]]


def batch(
    collection: Any,
    method: Any = CHAT,
    *,
    job: str,
    key: str,
    model: str | None = None,
    params: Mapping[str, Any] | None = None,
    columns: Iterable[str] = (),
    preprocess: Hook | None = None,
    postprocess: Hook | None = None,
    prefix: str = "",
    meta: Any = None,
    api_key: str | None = None,
    base_url: str | None = None,
    max_in_flight: int = 256,
    rate: float | str = "auto",
    max_retries: int | None = None,
    timeout: float | None = None,
) -> Any:
    """``collection`` (a dask ``DataFrame``, or a ``Bag`` of dicts) with ``method``
    called for each row, as a new collection of the same kind.

    The options are ``pareta.ray.Requests``'s. A dataframe's result gains the output
    columns; with ``postprocess``, Dask needs the result's ``meta`` (an empty frame of
    its columns and types), since working it out would mean calling the API. ``api_key``
    and ``base_url`` default to ``PARETA_API_KEY`` and ``PARETA_BASE_URL`` in each
    worker's environment.
    """
    calls = row_calls(
        method,
        job=job,
        key=key,
        model=model,
        params=params,
        columns=columns,
        preprocess=preprocess,
        postprocess=postprocess,
        prefix=prefix,
        max_in_flight=max_in_flight,
        rate=rate,
    )
    run = _Partitions(calls, Connection(api_key, base_url, max_retries, timeout))
    if _is_dataframe(collection):
        if meta is None:
            if postprocess is not None:
                raise ValueError(
                    "with postprocess, pass meta= (an empty pandas DataFrame with the "
                    "columns and types postprocess returns): Dask would otherwise call it "
                    "on made-up rows, and the API with them"
                )
            meta = _with_outputs(collection._meta, calls)
        return collection.map_partitions(run, meta=meta)
    if type(collection).__module__.startswith("dask.bag"):
        return collection.map_partitions(run)
    raise TypeError(
        "pareta.dask.batch takes a dask DataFrame or a dask Bag of dicts, got "
        f"{type(collection).__name__}"
    )


def _is_dataframe(collection: Any) -> bool:
    return type(collection).__module__.startswith("dask.dataframe") and hasattr(collection, "_meta")


def _with_outputs(empty: Any, calls: RowCalls) -> Any:
    from ._tables.columns import with_columns

    return with_columns(empty, {name: [] for name in calls.outputs}, calls.outputs)


class _Partitions:
    """The function Dask runs on each partition: plain values, sent to every worker."""

    def __init__(self, calls: RowCalls, connection: Connection) -> None:
        self.calls = calls
        self.connection = connection

    def __call__(self, partition: Any) -> Any:
        # A dataframe's partition is a DataFrame; a bag's may be any iterable of dicts.
        partition = partition if hasattr(partition, "columns") else list(partition)
        worker = _worker(self.connection)
        return worker.portal.call(answer_batch, worker.client, self.calls, partition)


class _Worker:
    """One client on an event loop in a daemon thread: it lives as long as its process."""

    def __init__(self, connection: Connection) -> None:
        # Made here, where a missing key raises; it binds to no event loop until used.
        self.client = connection.client()
        ready: queue.Queue[BlockingPortal | BaseException] = queue.Queue()
        thread = threading.Thread(target=_serve, args=(ready,), name="pareta-dask", daemon=True)
        thread.start()
        portal = ready.get()
        if isinstance(portal, BaseException):  # pragma: no cover - anyio.run failing to start
            raise portal
        self.portal = portal


def _serve(ready: queue.Queue[BlockingPortal | BaseException]) -> None:
    async def serve() -> None:
        async with BlockingPortal() as portal:
            ready.put(portal)
            await portal.sleep_until_stopped()

    try:
        anyio.run(serve)
    except BaseException as exc:  # pragma: no cover - anyio.run failing to start
        ready.put(exc)


_WORKERS: dict[tuple[int, Connection], _Worker] = {}
_WORKERS_LOCK = threading.Lock()


def _worker(connection: Connection) -> _Worker:
    """This process's client for ``connection`` (keyed by process too: a forked child
    does not inherit its parent's event loop thread)."""
    with _WORKERS_LOCK:
        worker = _WORKERS.get((os.getpid(), connection))
        if worker is None:
            worker = _WORKERS[os.getpid(), connection] = _Worker(connection)
        return worker
