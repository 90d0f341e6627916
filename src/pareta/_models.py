"""Response objects: thin, lazy views over the server's JSON.

Each object keeps the dict the server sent and reads the documented fields from it on
access (declared with the descriptors of ``_fields``, which hold the rule for a missing or
mistyped value), so building one costs no more than the ``json.loads`` that produced the
dict, and no field the API returns is lost. Reading a field never raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ._fields import (
    Flag,
    Float,
    Id,
    Int,
    Obj,
    Objs,
    OptObj,
    Str,
    as_int,
    first_str,
    objects,
)
from ._fields import ParetaObject as ParetaObject  # the base, importable from here too
from ._frames import Ranked, Tabular, leaderboard_table, models_table, run_table
from ._money import floor_to_cents
from ._pareto import leaderboard_front, run_front

_MISSING: Any = object()


# -- inference ---------------------------------------------------------------------------
class Message(ParetaObject):
    __slots__ = ()
    role = Str()
    content = Str()


class Choice(ParetaObject):
    __slots__ = ()
    index = Int()
    finish_reason = Str()
    message = Obj(Message)  # the full message of a non-streamed result
    delta = Obj(Message)  # the increment carried by a streamed chunk


class Usage(ParetaObject):
    __slots__ = ()
    prompt_tokens = Int()
    completion_tokens = Int()
    total_tokens = Int()


class ChatCompletion(ParetaObject):
    # Streams read ``chunk.choices[0]`` once or more per chunk: build the views once.
    __slots__ = ("_choices",)
    id = Str()  # streamed chunks may carry none
    model = Str()
    created = Int()
    usage = Obj(Usage)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data
        self._rid = None
        self._choices: list[Choice] | None = None

    @property
    def choices(self) -> list[Choice]:
        choices = self._choices
        if choices is None:
            choices = self._choices = objects(Choice, self._data.get("choices"))
        return choices


class ChatCompletionChunk(ChatCompletion):
    """One streamed delta: the same schema as ``ChatCompletion``."""

    __slots__ = ()


# -- models ------------------------------------------------------------------------------
class Model(ParetaObject):
    __slots__ = ()
    id = Id()
    owned_by = Str()
    created = Int()


class ModelList(Tabular, ParetaObject):
    """The callable models: iterate it, take its ``len``, or read ``.data``."""

    __slots__ = ()
    data = Objs(Model)

    def __iter__(self) -> Iterator[Model]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    _rows = models_table


# -- endpoints ---------------------------------------------------------------------------
class Endpoint(ParetaObject):
    __slots__ = ()
    id = Id("name")  # falls back to the name
    name = Str()
    model = Str()
    status = Str()
    task = Str()
    url = Str()

    @property
    def is_live(self) -> bool:
        return self.status == "live"


# -- discovery ---------------------------------------------------------------------------
class Task(ParetaObject):
    __slots__ = ()
    id = Id("task_id")
    default_scorer = Str()
    has_blob_input = Flag()


class TaskMatchCandidate(ParetaObject):
    __slots__ = ()
    task_id = Id()
    score = Float()
    confidence = Str()


class TaskMatch(ParetaObject):
    __slots__ = ()
    query = Str()
    matched = Flag()
    chosen = OptObj(TaskMatchCandidate)
    candidates = Objs(TaskMatchCandidate)
    ambiguous = Flag()
    matcher = Str()


class LeaderboardEntry(ParetaObject):
    __slots__ = ()
    name = Id()  # the alias to deploy or evaluate (the vendor id on the frontier row)
    kind = Str()
    quality = Float()
    cost_per_request_micro_usd = Int()
    context_k = Int()
    run_mode = Str()


class Leaderboard(Ranked["LeaderboardEntry"], ParetaObject):
    __slots__ = ()
    task_id = Id()
    metric = Str()
    cost_unit = Str()
    recommended = Str()  # None when no model is ranked
    models = Objs(LeaderboardEntry)
    frontier = OptObj(LeaderboardEntry)

    _rows, _front = leaderboard_table, leaderboard_front


class FrontierModel(ParetaObject):
    __slots__ = ()
    id = Id()
    vendor = Str()
    vision = Flag()
    benchmarked = Flag()


# -- evals -------------------------------------------------------------------------------
class EvalSet(ParetaObject):
    __slots__ = ()
    id = Id()
    task_id = Id()
    name = Str()
    item_count = Int()
    scoring_strategy = Str()


class EvalResult(ParetaObject):
    __slots__ = ()
    model_id = Id()
    kind = Str()
    quality_mean = Float()
    quality_ci_low = Float()
    quality_ci_high = Float()
    mean_cost_micro_usd = Int()
    n_succeeded = Int()
    error_count = Int()


TERMINAL_RUN_STATUSES = frozenset({"completed", "failed"})


class EvalRun(Ranked["EvalResult"], ParetaObject):
    """A run, flattened from the server's ``{"run": {...}, "results": [...]}`` envelope.

    It also reads the ``{"run_id", "status"}`` answer of ``POST /v1/eval-runs``.
    """

    __slots__ = ()
    eval_set_id = Str(within="run")
    error_detail = Str(within="run")

    @property
    def _run(self) -> dict[str, Any]:
        run = self._data.get("run")
        return run if isinstance(run, dict) else self._data

    @property
    def id(self) -> str | None:
        run = self._run
        return first_str(run.get("id"), run.get("run_id"), self._data.get("run_id")) or None

    @property
    def status(self) -> str | None:
        return first_str(self._run.get("status"), self._data.get("status"))

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
    def cost_micro_usd(self) -> int:
        return as_int(self._run.get("cost_micro_usd")) or 0

    @property
    def cost(self) -> Decimal:
        """The billed total in dollars, floored to whole cents."""
        return floor_to_cents(self.cost_micro_usd)

    @property
    def results(self) -> list[EvalResult]:
        results = self._data.get("results", _MISSING)
        if results is _MISSING:
            results = self._run.get("results")
        return objects(EvalResult, results)

    _rows, _front = run_table, run_front
