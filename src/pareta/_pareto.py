"""Quality against cost: the Pareto front of a leaderboard or an eval run, and the frontier
baseline, the winner and the savings read from the same numbers.

An entry is *placed* when it has a finite quality and a finite, non-negative cost; only
placed entries take part in the front (an entry the server sent without a quality or a
cost cannot be compared on both axes, so it is neither on the front nor beaten by it). One
entry dominates another when it is at least as good on both axes (quality higher or equal,
cost lower or equal) and strictly better on one. The front is every placed entry that no
other entry dominates, cheapest first, so quality rises along it. Two entries with the same
quality and the same cost do not dominate each other: both are on the front, in the order
the server listed them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from ._models import EvalResult, EvalRun, Leaderboard, LeaderboardEntry

_T = TypeVar("_T")
Point = tuple[float | None, float | None]


def placed(point: Point) -> tuple[float, float] | None:
    """The (quality, cost) of an entry that can be compared on both axes, else ``None``."""
    quality, cost = point
    if quality is None or cost is None:
        return None
    if not (math.isfinite(quality) and math.isfinite(cost)) or cost < 0:
        return None
    return quality, cost


def dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether ``a`` (quality, cost) is at least as good as ``b`` on both and better on one."""
    (quality_a, cost_a), (quality_b, cost_b) = a, b
    return (
        quality_a >= quality_b and cost_a <= cost_b and (quality_a > quality_b or cost_a < cost_b)
    )


def pareto_front(items: Iterable[_T], point: Callable[[_T], Point]) -> list[_T]:
    """The placed items that no other item dominates, cheapest first."""
    ranked: list[tuple[float, float, _T]] = []
    for item in items:
        xy = placed(point(item))
        if xy is not None:
            ranked.append((*xy, item))
    # Cheapest first, the best of an equal cost first; the sort is stable, so exact ties
    # keep the server's order.
    ranked.sort(key=lambda entry: (entry[1], -entry[0]))
    front: list[_T] = []
    best: tuple[float, float] | None = None
    for quality, cost, item in ranked:
        # Everything before this item is cheaper (or as cheap and better): it is beaten
        # unless it is better than all of them, or an exact tie of the last one kept.
        if best is None or quality > best[0] or (quality, cost) == best:
            front.append(item)
            best = (quality, cost)
    return front


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


def savings(cost: float | None, baseline: float | None) -> float | None:
    """The fraction of ``baseline`` that ``cost`` saves (negative when it costs more)."""
    if cost is None or not baseline:
        return None
    try:
        return 1 - cost / baseline
    except OverflowError:  # integers too far apart for a float ratio
        return None


def _number(value: int | None) -> float | None:
    """The value as a float, or ``None`` for one no float holds (it is then not placed)."""
    if value is None:
        return None
    try:
        return float(value)
    except OverflowError:
        return None
