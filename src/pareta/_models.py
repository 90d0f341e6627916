"""Response objects: thin, lazy views over the server's JSON.

Each object keeps the dict the server sent and reads the documented fields from it on
access, so building one costs no more than the ``json.loads`` that produced the dict,
and no field the API returns is lost. A property whose value is absent, or of a type the
field cannot hold, reads as ``None`` (or ``[]``, ``False``, an empty object) rather
than raising.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from ._frames import leaderboard_table, models_table, run_table, to_html, to_pandas
from ._money import floor_to_cents
from ._pareto import leaderboard_front, run_front

if TYPE_CHECKING:
    import pandas

__all__ = [
    "ChatCompletion",
    "ChatCompletionChunk",
    "Choice",
    "Endpoint",
    "EvalResult",
    "EvalRun",
    "EvalSet",
    "FrontierModel",
    "Leaderboard",
    "LeaderboardEntry",
    "Message",
    "Model",
    "ModelList",
    "ParetaObject",
    "Task",
    "TaskMatch",
    "TaskMatchCandidate",
    "Usage",
]

_T = TypeVar("_T", bound="ParetaObject")
_MISSING: Any = object()


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    return None


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _objects(cls: type[_T], value: Any) -> list[_T]:
    if not isinstance(value, list):
        return []
    return [cls(item) for item in value if isinstance(item, dict)]


class ParetaObject:
    """The shared base: raw-key access, ``get``, and a lossless ``to_dict()``."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def to_dict(self) -> dict[str, Any]:
        """The JSON the server sent, as a dict (the object's own storage, not a copy)."""
        return self._data

    def get(self, key: str, default: Any = None) -> Any:
        """A raw field, or ``default`` when the server did not send it."""
        return self._data.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ParetaObject):
            return type(self) is type(other) and self._data == other._data
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # wraps a mutable dict

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"


# -- inference ---------------------------------------------------------------------------


class Message(ParetaObject):
    __slots__ = ()

    @property
    def role(self) -> str | None:
        return _as_str(self._data.get("role"))

    @property
    def content(self) -> str | None:
        return _as_str(self._data.get("content"))


class Choice(ParetaObject):
    __slots__ = ()

    @property
    def index(self) -> int | None:
        return _as_int(self._data.get("index"))

    @property
    def finish_reason(self) -> str | None:
        return _as_str(self._data.get("finish_reason"))

    @property
    def message(self) -> Message:
        """The full message of a non-streamed result (empty when absent)."""
        return Message(_as_dict(self._data.get("message")))

    @property
    def delta(self) -> Message:
        """The increment carried by a streamed chunk (empty when absent)."""
        delta = self._data.get("delta")
        return Message(delta if isinstance(delta, dict) else {})


class Usage(ParetaObject):
    __slots__ = ()

    @property
    def prompt_tokens(self) -> int | None:
        return _as_int(self._data.get("prompt_tokens"))

    @property
    def completion_tokens(self) -> int | None:
        return _as_int(self._data.get("completion_tokens"))

    @property
    def total_tokens(self) -> int | None:
        return _as_int(self._data.get("total_tokens"))


class ChatCompletion(ParetaObject):
    # Streams read ``chunk.choices[0]`` once or more per chunk: build the views once.
    __slots__ = ("_choices",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data
        self._choices: list[Choice] | None = None

    @property
    def id(self) -> str | None:
        return _as_str(self._data.get("id"))

    @property
    def model(self) -> str | None:
        return _as_str(self._data.get("model"))

    @property
    def created(self) -> int | None:
        return _as_int(self._data.get("created"))

    @property
    def choices(self) -> list[Choice]:
        choices = self._choices
        if choices is None:
            choices = self._choices = _objects(Choice, self._data.get("choices"))
        return choices

    @property
    def usage(self) -> Usage:
        """Token counts (an empty ``Usage`` when the server sent none)."""
        return Usage(_as_dict(self._data.get("usage")))


class ChatCompletionChunk(ChatCompletion):
    """One streamed delta: the same schema as ``ChatCompletion``."""

    __slots__ = ()


# -- models ------------------------------------------------------------------------------


class Model(ParetaObject):
    __slots__ = ()

    @property
    def id(self) -> str | None:
        return _as_str(self._data.get("id"))

    @property
    def owned_by(self) -> str | None:
        return _as_str(self._data.get("owned_by"))

    @property
    def created(self) -> int | None:
        return _as_int(self._data.get("created"))


class ModelList(ParetaObject):
    """The callable models: iterate it, take its ``len``, or read ``.data``."""

    __slots__ = ()

    @property
    def data(self) -> list[Model]:
        return _objects(Model, self._data.get("data"))

    def __iter__(self) -> Iterator[Model]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def to_pandas(self) -> pandas.DataFrame:
        """One row per model (needs ``pareta[pandas]``)."""
        return to_pandas(models_table(self))

    def _repr_html_(self) -> str:
        return to_html(models_table(self))


# -- endpoints ---------------------------------------------------------------------------


class Endpoint(ParetaObject):
    __slots__ = ()

    @property
    def id(self) -> str | None:
        return _as_str(self._data.get("id")) or _as_str(self._data.get("name"))

    @property
    def name(self) -> str | None:
        return _as_str(self._data.get("name"))

    @property
    def model(self) -> str | None:
        return _as_str(self._data.get("model"))

    @property
    def status(self) -> str | None:
        return _as_str(self._data.get("status"))

    @property
    def task(self) -> str | None:
        return _as_str(self._data.get("task"))

    @property
    def url(self) -> str | None:
        return _as_str(self._data.get("url"))

    @property
    def is_live(self) -> bool:
        return self.status == "live"


# -- discovery ---------------------------------------------------------------------------


class Task(ParetaObject):
    __slots__ = ()

    @property
    def id(self) -> str | None:
        return _as_str(self._data.get("id")) or _as_str(self._data.get("task_id"))

    @property
    def default_scorer(self) -> str | None:
        return _as_str(self._data.get("default_scorer"))

    @property
    def has_blob_input(self) -> bool:
        return self._data.get("has_blob_input") is True


class TaskMatchCandidate(ParetaObject):
    __slots__ = ()

    @property
    def task_id(self) -> str | None:
        return _as_str(self._data.get("task_id"))

    @property
    def score(self) -> float | None:
        return _as_float(self._data.get("score"))

    @property
    def confidence(self) -> str | None:
        return _as_str(self._data.get("confidence"))


class TaskMatch(ParetaObject):
    __slots__ = ()

    @property
    def query(self) -> str | None:
        return _as_str(self._data.get("query"))

    @property
    def matched(self) -> bool:
        return self._data.get("matched") is True

    @property
    def chosen(self) -> TaskMatchCandidate | None:
        chosen = self._data.get("chosen")
        return TaskMatchCandidate(chosen) if isinstance(chosen, dict) else None

    @property
    def candidates(self) -> list[TaskMatchCandidate]:
        return _objects(TaskMatchCandidate, self._data.get("candidates"))

    @property
    def ambiguous(self) -> bool:
        return self._data.get("ambiguous") is True

    @property
    def matcher(self) -> str | None:
        return _as_str(self._data.get("matcher"))


class LeaderboardEntry(ParetaObject):
    __slots__ = ()

    @property
    def name(self) -> str | None:
        return _as_str(self._data.get("name"))

    @property
    def kind(self) -> str | None:
        return _as_str(self._data.get("kind"))

    @property
    def quality(self) -> float | None:
        return _as_float(self._data.get("quality"))

    @property
    def cost_per_request_micro_usd(self) -> int | None:
        return _as_int(self._data.get("cost_per_request_micro_usd"))

    @property
    def context_k(self) -> int | None:
        return _as_int(self._data.get("context_k"))

    @property
    def run_mode(self) -> str | None:
        return _as_str(self._data.get("run_mode"))


class Leaderboard(ParetaObject):
    __slots__ = ()

    @property
    def task_id(self) -> str | None:
        return _as_str(self._data.get("task_id"))

    @property
    def metric(self) -> str | None:
        return _as_str(self._data.get("metric"))

    @property
    def cost_unit(self) -> str | None:
        return _as_str(self._data.get("cost_unit"))

    @property
    def recommended(self) -> str | None:
        return _as_str(self._data.get("recommended"))

    @property
    def models(self) -> list[LeaderboardEntry]:
        return _objects(LeaderboardEntry, self._data.get("models"))

    @property
    def frontier(self) -> LeaderboardEntry | None:
        frontier = self._data.get("frontier")
        return LeaderboardEntry(frontier) if isinstance(frontier, dict) else None

    def pareto_front(self) -> list[LeaderboardEntry]:
        """The entries no other beats on both quality and cost, cheapest first."""
        return leaderboard_front(self)

    def to_pandas(self) -> pandas.DataFrame:
        """One row per entry, the frontier baseline last (needs ``pareta[pandas]``)."""
        return to_pandas(leaderboard_table(self))

    def _repr_html_(self) -> str:
        return to_html(leaderboard_table(self))


class FrontierModel(ParetaObject):
    __slots__ = ()

    @property
    def id(self) -> str | None:
        return _as_str(self._data.get("id"))

    @property
    def vendor(self) -> str | None:
        return _as_str(self._data.get("vendor"))

    @property
    def vision(self) -> bool:
        return self._data.get("vision") is True

    @property
    def benchmarked(self) -> bool:
        return self._data.get("benchmarked") is True


# -- evals -------------------------------------------------------------------------------


class EvalSet(ParetaObject):
    __slots__ = ()

    @property
    def id(self) -> str | None:
        return _as_str(self._data.get("id"))

    @property
    def task_id(self) -> str | None:
        return _as_str(self._data.get("task_id"))

    @property
    def name(self) -> str | None:
        return _as_str(self._data.get("name"))

    @property
    def item_count(self) -> int | None:
        return _as_int(self._data.get("item_count"))

    @property
    def scoring_strategy(self) -> str | None:
        return _as_str(self._data.get("scoring_strategy"))


class EvalResult(ParetaObject):
    __slots__ = ()

    @property
    def model_id(self) -> str | None:
        return _as_str(self._data.get("model_id"))

    @property
    def kind(self) -> str | None:
        return _as_str(self._data.get("kind"))

    @property
    def quality_mean(self) -> float | None:
        return _as_float(self._data.get("quality_mean"))

    @property
    def quality_ci_low(self) -> float | None:
        return _as_float(self._data.get("quality_ci_low"))

    @property
    def quality_ci_high(self) -> float | None:
        return _as_float(self._data.get("quality_ci_high"))

    @property
    def mean_cost_micro_usd(self) -> int | None:
        return _as_int(self._data.get("mean_cost_micro_usd"))

    @property
    def n_succeeded(self) -> int | None:
        return _as_int(self._data.get("n_succeeded"))

    @property
    def error_count(self) -> int | None:
        return _as_int(self._data.get("error_count"))


TERMINAL_RUN_STATUSES = frozenset({"completed", "failed"})


class EvalRun(ParetaObject):
    """A run, flattened from the server's ``{"run": {...}, "results": [...]}`` envelope.

    It also reads the ``{"run_id", "status"}`` answer of ``POST /v1/eval-runs``.
    """

    __slots__ = ()

    @property
    def _run(self) -> dict[str, Any]:
        run = self._data.get("run")
        return run if isinstance(run, dict) else self._data

    @property
    def id(self) -> str | None:
        run = self._run
        return (
            _as_str(run.get("id"))
            or _as_str(run.get("run_id"))
            or _as_str(self._data.get("run_id"))
        )

    @property
    def eval_set_id(self) -> str | None:
        return _as_str(self._run.get("eval_set_id"))

    @property
    def status(self) -> str | None:
        return _as_str(self._run.get("status")) or _as_str(self._data.get("status"))

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_RUN_STATUSES

    @property
    def candidate_models(self) -> list[str]:
        run = self._run
        models = run.get("candidate_models", _MISSING)
        if models is _MISSING:
            models = run.get("candidate_model_ids")
        if not isinstance(models, list):
            return []
        return [model for model in models if isinstance(model, str)]

    @property
    def error_detail(self) -> str | None:
        return _as_str(self._run.get("error_detail"))

    @property
    def cost_micro_usd(self) -> int:
        return _as_int(self._run.get("cost_micro_usd")) or 0

    @property
    def cost(self) -> Decimal:
        """The billed total in dollars, floored to whole cents."""
        return floor_to_cents(self.cost_micro_usd)

    @property
    def results(self) -> list[EvalResult]:
        results = self._data.get("results", _MISSING)
        if results is _MISSING:
            results = self._run.get("results")
        return _objects(EvalResult, results)

    def pareto_front(self) -> list[EvalResult]:
        """The results no other beats on both quality and cost per item, cheapest first."""
        return run_front(self)

    def to_pandas(self) -> pandas.DataFrame:
        """One row per model, with its interval and savings (needs ``pareta[pandas]``)."""
        return to_pandas(run_table(self))

    def _repr_html_(self) -> str:
        return to_html(run_table(self))
