"""Ray Data: chat completions for a dataset's rows, through the batch engine, on an actor pool.

    import ray
    from pareta.ray import ChatCompletions

    answered = ds.map_batches(
        ChatCompletions,
        fn_constructor_kwargs={"job": "reviews-2026-11", "key": "id", "model": "ep_..."},
        concurrency=2,          # actors, each with one client
        batch_size=500,
    )

Each actor builds one ``AsyncPareta`` from plain values (the key from ``PARETA_API_KEY`` in
its environment unless ``api_key`` is given) and runs every batch through ``pa.batch``: a
batch's rows are in flight together, paced to the server's rate limits, each sent with the
idempotency key of the job and its row key. A Ray task retried after an actor died resends
its rows under the same keys, so the server replays what it already billed.

``__call__`` is a coroutine, so Ray runs it on an event loop the actor keeps for its life:
the client's connections stay open from one batch to the next. An actor runs one Ray task
at a time (Ray's default), so the concurrency is inside the batch: all of its rows, up to
``max_in_flight``, are in flight together.

Rows in, rows out: a row's request is its ``messages`` column (or a ``prompt`` column, sent
as one user message), and its ``model`` column unless ``model`` is configured. Every input
column comes back, plus ``answer`` (the completion's text), ``error`` (``None``, or the
error's type and message), ``attempts`` and ``request_id``. Needs ``pip install "pareta[ray]"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

try:
    import numpy as np
    import ray  # noqa: F401  (the extra: numpy comes with it)
except ImportError as exc:  # pragma: no cover - exercised where ray is not installed
    raise ImportError(
        f'pareta.ray needs the optional "ray" dependencies ({exc.name} is missing). '
        'Install them with: pip install "pareta[ray]"'
    ) from exc

from ._async._client import AsyncPareta
from ._batch.keys import require_job
from ._batch.state import BatchResult
from ._checks import require_positive_int
from ._config import DEFAULT_MAX_RETRIES
from ._exceptions import ParetaError


class ChatCompletions:
    """A callable class for ``Dataset.map_batches``: one client per actor, one batch job
    per batch of rows.

    ``job`` (letters, digits, ``_:-``) and the ``key`` column name the rows: keep both
    stable for a dataset so that a retried task is not billed twice. ``model`` is the
    endpoint id or alias to call (else each row's ``model`` column); ``params`` are extra
    arguments for every call (``max_tokens``, ``temperature``...). ``api_key`` and
    ``base_url`` default to ``PARETA_API_KEY`` and ``PARETA_BASE_URL`` in the actor's
    environment (pass them with ``ray.init(runtime_env={"env_vars": ...})``).
    ``max_in_flight`` and ``rate`` are ``pa.batch``'s, for each batch.
    """

    def __init__(
        self,
        *,
        job: str,
        key: str,
        model: str | None = None,
        params: Mapping[str, Any] | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        max_in_flight: int = 256,
        rate: float | str = "auto",
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: float | None = None,
    ) -> None:
        self.job = require_job(job)
        if not isinstance(key, str) or not key:
            raise TypeError(f"key must name the column that identifies a row, got {key!r}")
        self.key = key
        self.model = model
        self.params = dict(params or {})
        self.max_in_flight = require_positive_int(max_in_flight, "max_in_flight")
        self.rate = rate
        self.client = AsyncPareta.from_env(
            api_key=api_key, base_url=base_url, max_retries=max_retries, timeout=timeout
        )

    async def __call__(self, batch: Any) -> Any:
        requests = [self.request(row) for row in _rows(batch, self.key)]
        results = await self.answer(requests)
        return _with_columns(batch, _columns(results))

    async def aclose(self) -> None:
        """Close the client (an actor's lasts as long as its process: Ray never calls this)."""
        await self.client.aclose()

    def request(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """One row's arguments to ``chat.completions.create``, with its key field."""
        messages = row.get("messages")
        if messages is None and row.get("prompt") is not None:
            messages = [{"role": "user", "content": row["prompt"]}]
        model = self.model if self.model is not None else row.get("model")
        return {self.key: row[self.key], "model": model, "messages": messages, **self.params}

    async def answer(self, requests: list[dict[str, Any]]) -> list[BatchResult]:
        """Each request's result, in order; a row the job never ran (it stopped first: no
        credits, a bad key) gets a result holding the error that stopped it."""
        out: list[BatchResult | None] = [None] * len(requests)
        job = self.client.batch(
            self.client.chat.completions.create,
            requests,
            key=self.key,
            job=self.job,
            max_in_flight=self.max_in_flight,
            rate=self.rate,
        )
        async with job:
            async for result in job:
                out[result.index] = result
        stopped = job._state.stop_error or ParetaError(f"not run: the job {job.stats.stopped}")
        return [
            r if r is not None else BatchResult(str(requests[i][self.key]), i, error=stopped)
            for i, r in enumerate(out)
        ]


def _rows(batch: Any, key: str) -> list[dict[str, Any]]:
    """The request columns of a batch (numpy dict, pandas or pyarrow), as plain values."""
    wanted = [c for c in (key, "messages", "prompt", "model") if c in _names(batch)]
    if key not in wanted:
        raise ValueError(
            f"the rows have no {key!r} column to key them by (columns: {sorted(_names(batch))})"
        )
    columns = {name: _plain(_column(batch, name)) for name in wanted}
    count = len(columns[key])
    return [{name: values[i] for name, values in columns.items()} for i in range(count)]


def _names(batch: Any) -> list[str]:
    names = getattr(batch, "column_names", None)  # pyarrow
    if names is None:
        names = list(batch.keys()) if isinstance(batch, Mapping) else list(batch.columns)
    return [str(n) for n in names]


def _column(batch: Any, name: str) -> Any:
    column = batch[name]
    return column.to_pylist() if hasattr(column, "to_pylist") else column


def _plain(value: Any) -> Any:
    """numpy arrays and scalars (Ray's and pandas' cells) as lists, dicts and str: the
    request digest, and so the idempotency key, must not depend on the batch format."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _columns(done: list[BatchResult]) -> dict[str, list[Any]]:
    return {
        "answer": [_text(r.result) if r.ok else None for r in done],
        "error": [None if r.ok else f"{type(r.error).__name__}: {r.error}" for r in done],
        "attempts": [r.attempts for r in done],
        "request_id": [r.request_id for r in done],
    }


def _text(completion: Any) -> str | None:
    choices = completion.choices
    return choices[0].message.content if choices else None


def _with_columns(batch: Any, columns: dict[str, list[Any]]) -> Any:
    """The batch with the output columns added, in the format it came in."""
    if hasattr(batch, "append_column"):  # pyarrow
        import pyarrow as pa

        types = {"attempts": pa.int64()}
        for name, values in columns.items():
            array = pa.array(values, type=types.get(name, pa.string()))
            if name in batch.column_names:
                batch = batch.drop_columns([name])
            batch = batch.append_column(name, array)
        return batch
    if isinstance(batch, Mapping):
        return {
            **batch,
            **{
                n: np.array(v, dtype=np.int64 if n == "attempts" else object)
                for n, v in columns.items()
            },
        }
    out = batch.copy()  # pandas
    for name, values in columns.items():
        out[name] = values
    return out
