"""Leaderboards and eval runs: models ranked by quality and cost, the Pareto front of
each, the frontier baseline an open model must beat, the winner to deploy, and their
tables (``pareto`` holds the front's rule, ``frames`` the tables' forms).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .._money import floor_to_cents
from .fields import Float, Id, Int, Objs, OptObj, ParetaObject, Str, as_int, first_str, objects
from .frames import BOOL, FLOAT, INT, STRING, Ranked, Table, dollars
from .pareto import Point, pareto_front, savings

_MISSING: Any = object()


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

    def _rows(self) -> Table:
        return leaderboard_table(self)

    def _front(self) -> list[LeaderboardEntry]:
        return leaderboard_front(self)


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

    def _rows(self) -> Table:
        return run_table(self)

    def _front(self) -> list[EvalResult]:
        return run_front(self)


# -- leaderboards ----------------------------------------------------------------------


def leaderboard_entries(board: Leaderboard) -> list[LeaderboardEntry]:
    """The ranked models, then the frontier baseline unless the ranking already lists it."""
    entries = list(board.models)
    frontier = board.frontier
    if frontier is not None and frontier.name not in {entry.name for entry in entries}:
        entries.append(frontier)
    return entries


def entry_point(entry: LeaderboardEntry) -> Point:
    return entry.quality, _number(entry.cost_per_request_micro_usd)


def leaderboard_front(board: Leaderboard) -> list[LeaderboardEntry]:
    return pareto_front(leaderboard_entries(board), entry_point)


# -- eval runs ---------------------------------------------------------------------------


def result_point(result: EvalResult) -> Point:
    return result.quality_mean, _number(result.mean_cost_micro_usd)


def run_front(run: EvalRun) -> list[EvalResult]:
    return pareto_front(run.results, result_point)


def frontier_baseline(results: Iterable[EvalResult]) -> EvalResult | None:
    """The frontier result an open model has to beat: the best-scoring one."""
    frontier = [r for r in results if r.kind == "frontier"]
    return max(frontier, key=lambda r: r.quality_mean or 0.0, default=None)


def best_open(results: Iterable[EvalResult]) -> EvalResult | None:
    """The winner to deploy: the highest-quality open model (cheaper on a tie)."""
    candidates = [r for r in results if r.kind == "open" and r.quality_mean is not None]
    return max(
        candidates,
        key=lambda r: (r.quality_mean or 0.0, -(r.mean_cost_micro_usd or 0)),
        default=None,
    )


# -- tables ------------------------------------------------------------------------------


def leaderboard_table(board: Leaderboard) -> Table:
    table = Table(
        f"Leaderboard: {board.task_id} (recommended: {board.recommended})",
        [
            ("name", STRING),
            ("kind", STRING),
            ("quality", FLOAT),
            ("cost_per_request_micro_usd", INT),
            ("cost_per_request_usd", FLOAT),
            ("savings", FLOAT),
            ("context_k", INT),
            ("run_mode", STRING),
            ("on_front", BOOL),
            ("recommended", BOOL),
        ],
    )
    entries = leaderboard_entries(board)
    front = {id(entry) for entry in pareto_front(entries, entry_point)}
    baseline = board.frontier.cost_per_request_micro_usd if board.frontier else None
    for entry in entries:
        cost = entry.cost_per_request_micro_usd
        table.rows.append(
            (
                entry.name,
                entry.kind,
                entry.quality,
                cost,
                dollars(cost),
                savings(cost, baseline),
                entry.context_k,
                entry.run_mode,
                id(entry) in front,
                entry.name is not None and entry.name == board.recommended,
            )
        )
    return table


def run_table(run: EvalRun) -> Table:
    table = Table(
        f"Eval run {run.id}: {run.status}",
        [
            ("model_id", STRING),
            ("kind", STRING),
            ("quality_mean", FLOAT),
            ("quality_ci_low", FLOAT),
            ("quality_ci_high", FLOAT),
            ("mean_cost_micro_usd", INT),
            ("cost_per_item_usd", FLOAT),
            ("savings", FLOAT),
            ("n_succeeded", INT),
            ("error_count", INT),
            ("on_front", BOOL),
            ("winner", BOOL),
        ],
    )
    results = run.results
    front = {id(result) for result in pareto_front(results, result_point)}
    baseline = frontier_baseline(results)
    base_cost = baseline.mean_cost_micro_usd if baseline else None
    winner = best_open(results)
    for result in results:
        cost = result.mean_cost_micro_usd
        table.rows.append(
            (
                result.model_id,
                result.kind,
                result.quality_mean,
                result.quality_ci_low,
                result.quality_ci_high,
                cost,
                dollars(cost),
                savings(cost, base_cost),
                result.n_succeeded,
                result.error_count,
                id(result) in front,
                result is winner,
            )
        )
    return table


def _number(value: int | None) -> float | None:
    """The value as a float, or ``None`` for one no float holds (it is then not placed)."""
    if value is None:
        return None
    try:
        return float(value)
    except OverflowError:
        return None
