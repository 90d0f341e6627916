"""A table's rows through the batch engine: what ``pareta.ray`` and ``pareta.dask`` share.

Each row of a batch (a Ray batch, a Dask partition) becomes one call of a client method;
the calls of a batch run as one batch job on the worker process's long-lived client, so
the pace the client learned carries from one batch to the next; each row comes back
with the same output columns whichever cluster ran it. The coroutines here run only on
the event loop a cluster worker gives them (Ray's for an actor, a thread of ours in a
Dask worker), so they have no sync twin.
"""

from __future__ import annotations

import inspect
import json
import re
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio

from .._async._client import AsyncPareta
from .._batch.keys import call_name, require_job
from .._batch.state import BatchResult
from .._checks import require_positive_int
from .._exceptions import ParetaError
from .._observers import Observer, current_observer
from .columns import COUNT, FLAG, INT, STR, column_names, from_rows, rows_of, with_columns

CHAT = "chat.completions.create"

# Every output column and its kind, in the order they are added.
OUTPUTS = {
    "answer": STR,
    "response": STR,
    "finish_reason": STR,
    "prompt_tokens": INT,
    "completion_tokens": INT,
    "total_tokens": INT,
    "cost_micro_usd": INT,
    "replayed": FLAG,
    "request_id": STR,
    "attempts": COUNT,
    "error": STR,
}

# Parameters a column never fills: the engine sets the key, and a batch runs whole calls.
_NOT_FROM_COLUMNS = frozenset({"idempotency_key", "stream"})
# A worker's batches start together. Until its client's first answer tells the pace what
# the server allows, they share the few requests one batch job would send first, instead
# of each sending that many at once at a limit nobody has seen yet.
FIRST_IN_FLIGHT = 8
_METHOD_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")


@dataclass(frozen=True)
class Connection:
    """How a worker process builds its client: plain values, sent to every worker."""

    api_key: str | None = None
    base_url: str | None = None
    max_retries: int | None = None
    timeout: float | None = None

    def client(self) -> AsyncPareta:
        options: dict[str, Any] = {"api_key": self.api_key, "base_url": self.base_url}
        if self.max_retries is not None:
            options["max_retries"] = self.max_retries
        if self.timeout is not None:
            options["timeout"] = self.timeout
        return AsyncPareta.from_env(**options)


@dataclass(frozen=True)
class RowCalls:
    """What to call for each row of a table, and which columns to add: plain values and
    the caller's hooks, sent to every worker."""

    method: str
    job: str
    key: str
    model: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    columns: tuple[str, ...] = ()
    preprocess: Callable[[dict[str, Any]], Mapping[str, Any]] | None = None
    postprocess: Callable[[dict[str, Any]], Mapping[str, Any]] | None = None
    prefix: str = ""
    max_in_flight: int = 256
    rate: float | str = "auto"

    @property
    def outputs(self) -> dict[str, str]:
        """The output columns' names (with ``prefix``) and kinds."""
        return {self.prefix + name: kind for name, kind in OUTPUTS.items()}

    def defaults(self) -> dict[str, Any]:
        """The arguments every row starts from."""
        model = {} if self.model is None else {"model": self.model}
        return {**self.params, **model}

    def arguments(self, row: Mapping[str, Any], named: Iterable[str]) -> dict[str, Any]:
        """One row's arguments to the method."""
        if self.preprocess is not None:
            made = self.preprocess(dict(row))
            if not isinstance(made, Mapping):
                raise TypeError(
                    f"preprocess must return a dict of {self.method}'s arguments for the row, "
                    f"got {type(made).__name__}"
                )
            return {**self.defaults(), **made}
        args = self.defaults()
        args.update((n, row[n]) for n in (*named, *self.columns) if row.get(n) is not None)
        per_row = row.get("params")
        if per_row is not None:
            # A struct column fills the fields another row set with None: not an argument.
            args.update((k, v) for k, v in per_row.items() if v is not None)
        if self.method == CHAT and "messages" not in args and row.get("prompt") is not None:
            args["messages"] = [{"role": "user", "content": row["prompt"]}]
        return args

    def unsendable(self, row: Mapping[str, Any]) -> Exception | None:
        """Why the row cannot make a request (it fails alone, unsent), if it cannot."""
        if row.get(self.key) is None:
            return ValueError(f"the row has no value in its {self.key!r} column")
        per_row = row.get("params")
        if self.preprocess is None and per_row is not None and not isinstance(per_row, Mapping):
            return TypeError(
                "the params column holds a dict of arguments for its row (or nothing), "
                f"not {type(per_row).__name__}"
            )
        return None

    def wanted(self, names: Sequence[str], named: Iterable[str]) -> list[str]:
        """The columns a batch's rows are read with: all of them for a hook."""
        if self.preprocess is not None or self.postprocess is not None:
            return list(names)
        used = {self.key, "params", "prompt", *named, *self.columns}
        return [n for n in names if n in used]


def row_calls(
    method: Any,
    *,
    job: str,
    key: str,
    model: str | None = None,
    params: Mapping[str, Any] | None = None,
    columns: Iterable[str] = (),
    preprocess: Callable[[dict[str, Any]], Mapping[str, Any]] | None = None,
    postprocess: Callable[[dict[str, Any]], Mapping[str, Any]] | None = None,
    prefix: str = "",
    max_in_flight: int = 256,
    rate: float | str = "auto",
) -> RowCalls:
    """The checked configuration: every mistake raised where it is written, not on a
    worker."""
    if not isinstance(key, str) or not key:
        raise TypeError(f"key must name the column that identifies a row, got {key!r}")
    if isinstance(columns, str):
        raise TypeError(f"columns must be a list of column names, got the string {columns!r}")
    for hook, name in ((preprocess, "preprocess"), (postprocess, "postprocess")):
        if hook is not None and not callable(hook):
            raise TypeError(f"{name} must be a function of a row (a dict), got {hook!r}")
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a string put before every output column, got {prefix!r}")
    return RowCalls(
        method=method_name(method),
        job=require_job(job),
        key=key,
        model=model,
        params=dict(params or {}),
        columns=tuple(str(c) for c in columns),
        preprocess=preprocess,
        postprocess=postprocess,
        prefix=prefix,
        max_in_flight=require_positive_int(max_in_flight, "max_in_flight"),
        rate=rate,
    )


def method_name(method: Any) -> str:
    """``"chat.completions.create"``, from that string or from a client's method (a
    client cannot travel to a worker; the name of its method can)."""
    name = method if isinstance(method, str) else call_name(method)
    if not _METHOD_NAME.fullmatch(name):
        raise ValueError(
            "method must be a client method such as 'chat.completions.create' or "
            f"'evals.runs.create' (or pa.chat.completions.create itself), got {method!r}"
        )
    return name


def resolve(client: AsyncPareta, name: str) -> Callable[..., Any]:
    """The client's method called ``name``."""
    target: Any = client
    for part in name.split("."):
        target = getattr(target, part, None)
    if not inspect.iscoroutinefunction(target):
        raise ValueError(
            f"the client has no method {name!r} that makes a request: name one such as "
            "'chat.completions.create' or 'evals.runs.create'"
        )
    return target  # type: ignore[no-any-return]


def argument_names(method: Callable[..., Any]) -> tuple[str, ...]:
    """The method's named parameters, which columns of the same name fill."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    parameters = inspect.signature(method).parameters.values()
    return tuple(p.name for p in parameters if p.kind in kinds and p.name not in _NOT_FROM_COLUMNS)


def refuse_overwrite(names: Iterable[str], calls: RowCalls) -> None:
    taken = [n for n in calls.outputs if n in set(names)]
    if taken:
        raise ValueError(
            f"the rows already have a column named {taken[0]!r}, which would be replaced by "
            f"the output column of that name (taken: {', '.join(map(repr, taken))}): drop or "
            "rename it, or pass prefix='...' to name the output columns <prefix>answer, "
            "<prefix>error..."
        )


async def answer_batch(client: AsyncPareta, calls: RowCalls, batch: Any) -> Any:
    """The batch with its output columns (or, with ``postprocess``, its rows as that
    returns them), in the format it came in."""
    method = resolve(client, calls.method)
    named = argument_names(method)
    names = column_names(batch)
    refuse_overwrite(names, calls)
    if calls.key not in names:
        raise ValueError(
            f"the rows have no {calls.key!r} column to key them by (columns: {sorted(names)})"
        )
    rows = rows_of(batch, calls.wanted(names, named))
    outputs = await answer_rows(client, method, calls, rows, named)
    if calls.postprocess is None:
        columns = {name: [out[name] for out in outputs] for name in calls.outputs}
        return with_columns(batch, columns, calls.outputs)
    made = [calls.postprocess({**row, **out}) for row, out in zip(rows, outputs, strict=True)]
    return from_rows(batch, [dict(m) for m in made])


async def answer_rows(
    client: AsyncPareta,
    method: Callable[..., Any],
    calls: RowCalls,
    rows: list[dict[str, Any]],
    named: Sequence[str],
) -> list[dict[str, Any]]:
    """Each row's output cells, in order; a row that could not be made into a call, or
    that the job never ran (it stopped first: no credits, a bad key), holds the error."""
    results: list[BatchResult | None] = [None] * len(rows)
    requests, positions = [], []
    for i, row in enumerate(rows):
        problem = calls.unsendable(row)
        if problem is not None:
            results[i] = BatchResult(str(row.get(calls.key)), i, error=problem)
            continue
        # What preprocess raises is the caller's mistake, on every row: it is raised.
        requests.append({**calls.arguments(row, named), calls.key: row[calls.key]})
        positions.append(i)
    job = client.batch(
        _Watched(method, _opening_of(client)),
        requests,
        key=calls.key,
        job=calls.job,
        max_in_flight=calls.max_in_flight,
        rate=calls.rate,
    )
    async with job:
        async for result in job:
            results[positions[result.index]] = result
    stop = getattr(job, "_state", None)
    stopped = getattr(stop, "stop_error", None) or ParetaError(
        f"not run: the job {job.stats.stopped}"
    )
    return [
        _cells(
            r if r is not None else BatchResult(str(rows[i][calls.key]), i, error=stopped), calls
        )
        for i, r in enumerate(results)
    ]


def _cells(result: BatchResult, calls: RowCalls) -> dict[str, Any]:
    answered: _Answer | None = result.result
    value = None if answered is None else answered.value
    choices = getattr(value, "choices", None) or []
    choice = choices[0] if choices else None
    usage = getattr(value, "usage", None)
    cost = None if answered is None else answered.seen.cost
    billed = getattr(value, "cost_micro_usd", None)  # an eval run's, in its body
    if cost is None and isinstance(billed, int):
        cost = billed
    cells = {
        "answer": None if choice is None else choice.message.content,
        "response": None if answered is None else _json(value),
        "finish_reason": None if choice is None else choice.finish_reason,
        "prompt_tokens": getattr(usage, "prompt_tokens", None),
        "completion_tokens": getattr(usage, "completion_tokens", None),
        "total_tokens": getattr(usage, "total_tokens", None),
        "cost_micro_usd": cost,
        "replayed": answered is not None and answered.seen.replayed,
        "request_id": result.request_id,
        "attempts": result.attempts,
        "error": None if result.ok else f"{type(result.error).__name__}: {result.error}",
    }
    return {calls.prefix + name: value for name, value in cells.items()}


def _json(value: Any) -> str:
    data = value.to_dict() if hasattr(value, "to_dict") else value
    return json.dumps(data, ensure_ascii=False, default=str)


class _Seen:
    """An observer in front of the engine's for one row's call: it passes everything on,
    and keeps what the row's final answer said about itself (replayed, cost)."""

    __slots__ = ("cost", "inner", "opening", "replayed")

    def __init__(self, inner: Observer, opening: _Opening) -> None:
        self.inner = inner
        self.opening = opening
        self.replayed = False
        self.cost: int | None = None

    def admit(self) -> tuple[float, bool]:
        return self.inner.admit()

    def answered(self, status: int, raw_headers: Iterable[tuple[bytes, bytes]]) -> None:
        headers = list(raw_headers)
        self.opening.answered = True
        if 200 <= status < 300:
            found = {name.lower(): value for name, value in headers}
            self.replayed = found.get(b"idempotent-replayed") == b"true"
            cost = found.get(b"x-pareta-cost-micro-usd")
            self.cost = int(cost) if cost is not None and cost.isdigit() else None
        self.inner.answered(status, headers)

    def failed(self) -> None:
        self.inner.failed()

    def handles(self, status: int) -> bool:
        return self.inner.handles(status)


@dataclass(frozen=True)
class _Answer:
    value: Any
    seen: _Seen


class _Watched:
    """A client method whose answer comes back with what its row's final answer said
    about itself. It keeps the method's name, signature and resource (``__self__``): the
    engine names the call, passes the idempotency key and finds the client's learned pace
    through them."""

    def __init__(self, method: Callable[..., Any], opening: _Opening) -> None:
        self.__wrapped__ = method
        self.opening = opening
        self.__self__ = getattr(method, "__self__", None)
        self.__name__ = getattr(method, "__name__", "call")
        self.__qualname__ = getattr(method, "__qualname__", self.__name__)

    async def __call__(self, *args: Any, **kwargs: Any) -> _Answer:
        inner = current_observer.get()
        if inner is None:  # pragma: no cover - the engine watches every row's call
            raise RuntimeError("a row's call ran outside its batch job")
        seen = _Seen(inner, self.opening)
        async with self.opening.turn():
            token = current_observer.set(seen)
            try:
                return _Answer(await self.__wrapped__(*args, **kwargs), seen)
            finally:
                current_observer.reset(token)


class _Opening:
    """A client's first requests, across all the batches it runs: ``FIRST_IN_FLIGHT`` at
    a time until the server has answered one."""

    def __init__(self) -> None:
        self.answered = False
        self._slots: anyio.Semaphore | None = None

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        if self.answered:
            yield
            return
        if self._slots is None:  # made on the event loop that uses it
            self._slots = anyio.Semaphore(FIRST_IN_FLIGHT)
        async with self._slots:
            yield


_OPENINGS: weakref.WeakKeyDictionary[AsyncPareta, _Opening] = weakref.WeakKeyDictionary()


def _opening_of(client: AsyncPareta) -> _Opening:
    # Only the event loop of the client's worker calls this: no lock.
    opening = _OPENINGS.get(client)
    if opening is None:
        opening = _OPENINGS[client] = _Opening()
    return opening
