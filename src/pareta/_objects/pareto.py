"""Quality against cost: the Pareto front of any entries with both, and the savings against
a baseline (``rankings`` applies them to leaderboards and eval runs).

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
from typing import TypeVar

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


def savings(cost: float | None, baseline: float | None) -> float | None:
    """The fraction of ``baseline`` that ``cost`` saves (negative when it costs more)."""
    if cost is None or not baseline:
        return None
    try:
        return 1 - cost / baseline
    except OverflowError:  # integers too far apart for a float ratio
        return None
