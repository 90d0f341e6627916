"""Ray Data: a client method for each row of a dataset, through the batch engine, on an
actor pool.

    import ray
    import pareta.ray

    answered = pareta.ray.batch(
        ds,
        "chat.completions.create",   # or "evals.runs.create", any client method
        job="reviews-2026-11",       # with each row's key: the row's idempotency key
        key="id",
        model="ep_...",
    )

``batch`` is ``ds.map_batches`` with ``Requests`` (a callable class) on a pool of actors
that each take several batches at once (``batches_per_actor``): a row waiting out a
backoff holds up its own batch, not the actor. Each actor builds one ``AsyncPareta``
from plain values (the key from ``PARETA_API_KEY`` in its environment unless ``api_key``
is given) and keeps it for its life, so the pace it learned from the server carries from
one batch to the next; each batch is a batch job on it, every row sent with the
idempotency key of the job and its row key. A Ray task retried after an actor died
resends its rows under the same keys, so the server replays what it already billed.

A row's request: the columns named for the method's parameters (``model`` and
``messages`` for a chat completion, where a ``prompt`` column also does as one user
message), the columns listed in ``columns`` (``temperature``, ``max_tokens``...), and its
``params`` column (a dict), over ``params`` and ``model`` given here; or whatever
``preprocess(row)`` returns. Every input column comes back, plus the output columns of
``OUTPUTS`` (or, with ``postprocess``, whatever it makes of each row with them). An
output column never replaces an input column: a batch that has one is refused, unless
``prefix`` names the outputs apart. Needs ``pip install "pareta[ray]"``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

try:
    import ray  # noqa: F401  (the extra: numpy comes with it)
except ImportError as exc:  # pragma: no cover - exercised where ray is not installed
    raise ImportError(
        f'pareta.ray needs the optional "ray" dependencies ({exc.name} is missing). '
        'Install them with: pip install "pareta[ray]"'
    ) from exc

from ._checks import require_positive_int
from ._tables.batches import CHAT, OUTPUTS, Connection, answer_batch, row_calls

__all__ = ["OUTPUTS", "ChatCompletions", "Requests", "batch"]

Hook = Callable[[dict[str, Any]], Mapping[str, Any]]
_CONNECTION = ("api_key", "base_url", "max_retries", "timeout")


class Requests:
    """A callable class for ``Dataset.map_batches``: one client per actor for its life,
    one batch job per batch of rows.

    ``method`` is the client method each row calls (``"chat.completions.create"``,
    ``"evals.runs.create"``...). ``job`` (letters, digits, ``_:-``) and the ``key``
    column name the rows: keep both stable for a dataset so that a retried task is not
    billed twice. ``model`` and ``params`` are arguments for every row, which a row's own
    columns override; ``columns`` names more columns to send as arguments of the same
    name. ``preprocess(row)`` returns a row's arguments instead; ``postprocess(row)``
    turns a row with its output columns into the row that comes back. ``prefix`` goes
    before every output column's name. ``api_key`` and ``base_url`` default to
    ``PARETA_API_KEY`` and ``PARETA_BASE_URL`` in the actor's environment (pass them with
    ``ray.init(runtime_env={"env_vars": ...})``). ``max_in_flight`` and ``rate`` are
    ``pa.batch``'s, for each batch.
    """

    def __init__(
        self,
        *,
        method: Any = CHAT,
        job: str,
        key: str,
        model: str | None = None,
        params: Mapping[str, Any] | None = None,
        columns: Iterable[str] = (),
        preprocess: Hook | None = None,
        postprocess: Hook | None = None,
        prefix: str = "",
        api_key: str | None = None,
        base_url: str | None = None,
        max_in_flight: int = 256,
        rate: float | str = "auto",
        max_retries: int | None = None,
        timeout: float | None = None,
    ) -> None:
        self.calls = row_calls(
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
        self.client = Connection(api_key, base_url, max_retries, timeout).client()

    async def __call__(self, batch: Any) -> Any:
        return await answer_batch(self.client, self.calls, batch)

    async def aclose(self) -> None:
        """Close the client (an actor's lasts as long as its process: Ray never calls this)."""
        await self.client.aclose()


class ChatCompletions(Requests):
    """``Requests`` for ``chat.completions.create``: a row's request is its ``messages``
    column (or its ``prompt`` as one user message) and its ``model`` (else ``model``)."""

    def __init__(self, **options: Any) -> None:
        if "method" in options:
            raise TypeError(
                "ChatCompletions calls chat.completions.create: use Requests(method=...)"
            )
        super().__init__(method=CHAT, **options)


def batch(
    dataset: Any,
    method: Any = CHAT,
    *,
    job: str,
    key: str,
    concurrency: int | tuple[int, int] = 2,
    batch_size: int = 100,
    batches_per_actor: int = 8,
    map_kwargs: Mapping[str, Any] | None = None,
    **options: Any,
) -> Any:
    """``dataset`` with ``method`` called for each row, as a new (lazy) ``Dataset``.

    ``concurrency`` actors (or ``(min, max)`` to scale), each with one client, take up
    to ``batches_per_actor`` batches of ``batch_size`` rows at once; ``map_kwargs`` go to
    ``map_batches`` as they are (``num_cpus``, ``runtime_env``...). ``options`` are
    ``Requests``'s (``model``, ``params``, ``columns``, ``preprocess``, ``postprocess``,
    ``prefix``, ``api_key``, ``base_url``...), checked here before any actor starts.
    """
    require_positive_int(batches_per_actor, "batches_per_actor")
    require_positive_int(batch_size, "batch_size")
    plain = {k: v for k, v in options.items() if k not in _CONNECTION}
    name = row_calls(method, job=job, key=key, **plain).method  # raises here, not on an actor
    sizes: dict[str, Any] = (
        {"min_size": concurrency[0], "max_size": concurrency[1]}
        if isinstance(concurrency, tuple)
        else {"size": concurrency}
    )
    compute, remote = _pool(sizes, batches_per_actor)
    return dataset.map_batches(
        Requests,
        fn_constructor_kwargs={"method": name, "job": job, "key": key, **options},
        compute=compute,
        batch_size=batch_size,
        **remote,
        **dict(map_kwargs or {}),
    )


def _pool(sizes: dict[str, Any], calls: int) -> tuple[Any, dict[str, Any]]:
    """An actor pool whose actors each run ``calls`` batches at once."""
    import ray.data

    strategy = ray.data.ActorPoolStrategy
    if "max_concurrent_calls_per_actor" in inspect.signature(strategy).parameters:
        return strategy(**sizes, max_concurrent_calls_per_actor=calls), {}
    # Ray before 2.60 (no such parameter) sets the same through the actors' options.
    return strategy(**sizes), {"max_concurrency": calls}  # pragma: no cover - older Ray
