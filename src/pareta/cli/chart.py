"""Quality against cost as a chart: what both drawings (terminal and file) show.

A ``Chart`` is built once from a leaderboard or an eval run; ``terminal_chart`` and
``chart_file`` only draw it. Cost is drawn on a log axis, so an entry needs a cost above
zero to be drawn (and a quality and a cost to be on the Pareto front); the others are
named under the chart instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .._money import MICRO_USD_PER_USD
from .._objects.pareto import Point, pareto_front, placed
from .._objects.rankings import (
    EvalRun,
    Leaderboard,
    best_open,
    entry_point,
    leaderboard_entries,
    result_point,
)

TICK_MANTISSAS = ((1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9))
UNNAMED = "(unnamed)"


@dataclass(frozen=True)
class Dot:
    """One model on the chart: quality against cost (micro-USD, above zero)."""

    name: str
    kind: str
    quality: float
    cost: float
    low: float | None = None
    high: float | None = None
    on_front: bool = False

    @property
    def frontier(self) -> bool:
        return self.kind == "frontier"

    @property
    def interval(self) -> tuple[float, float] | None:
        if self.low is None or self.high is None or self.low > self.high:
            return None
        return self.low, self.high


@dataclass
class Chart:
    title: str
    unit: str  # what the cost is per: "request" or "item"
    dots: list[Dot] = field(default_factory=list)
    left_off: list[str] = field(default_factory=list)
    highlight: Dot | None = None
    highlight_note: str = ""

    @property
    def front(self) -> list[Dot]:
        """The front's drawn models, cheapest first."""
        return sorted((d for d in self.dots if d.on_front), key=lambda d: (d.cost, -d.quality))

    @property
    def has_intervals(self) -> bool:
        return any(dot.interval for dot in self.dots)

    @property
    def highlight_label(self) -> str:
        return f"{self.highlight.name} ({self.highlight_note})" if self.highlight else ""

    def add(
        self,
        name: str | None,
        kind: str | None,
        point: Point,
        *,
        on_front: bool,
        interval: tuple[float | None, float | None] = (None, None),
    ) -> Dot | None:
        """Draw the model, or name it under the chart when the log axis cannot place it."""
        xy = placed(point)
        if xy is None or xy[1] <= 0:
            self.left_off.append(name or UNNAMED)
            return None
        dot = Dot(name or UNNAMED, kind or "open", *xy, *interval, on_front=on_front)
        self.dots.append(dot)
        return dot


def leaderboard_chart(board: Leaderboard) -> Chart:
    chart = Chart(f"{board.task_id or 'leaderboard'}: quality against cost per request", "request")
    entries = leaderboard_entries(board)
    front = {id(entry) for entry in pareto_front(entries, entry_point)}
    for entry in entries:
        dot = chart.add(entry.name, entry.kind, entry_point(entry), on_front=id(entry) in front)
        if dot is not None and entry.name == board.recommended:
            chart.highlight, chart.highlight_note = dot, "recommended"
    return chart


def run_chart(run: EvalRun) -> Chart:
    chart = Chart(f"eval run {run.id or ''}: quality against cost per item".strip(), "item")
    results = run.results
    front = {id(result) for result in pareto_front(results, result_point)}
    winner = best_open(results)
    for result in results:
        dot = chart.add(
            result.model_id,
            result.kind,
            result_point(result),
            on_front=id(result) in front,
            interval=(result.quality_ci_low, result.quality_ci_high),
        )
        if dot is not None and result is winner:
            chart.highlight, chart.highlight_note = dot, "winner"
    return chart


# -- axes shared by both drawings ----------------------------------------------------------


def usd(micro_usd: float) -> str:
    """A tick label: 50 micro-USD reads ``$0.00005``, with no trailing zeros."""
    text = f"{micro_usd / MICRO_USD_PER_USD:.8f}".rstrip("0").rstrip(".")
    return f"${text}"


def cost_range(chart: Chart) -> tuple[float, float]:
    """The log10 range of the cost axis, padded so no marker sits on the frame."""
    costs = [math.log10(dot.cost) for dot in chart.dots] or [0.0]
    low, high = min(costs), max(costs)
    if high - low < 0.2:
        middle = (low + high) / 2
        low, high = middle - 0.1, middle + 0.1
    pad = (high - low) * 0.06
    return low - pad, high + pad


def quality_range(chart: Chart) -> tuple[float, float]:
    values = []
    for dot in chart.dots:
        values.append(dot.quality)
        values.extend(dot.interval or ())
    if not values:
        return 0.0, 1.0
    pad = max((max(values) - min(values)) * 0.08, 0.01)
    low, high = min(values) - pad, max(values) + pad
    if max(values) <= 1 and min(values) >= 0:
        low, high = max(low, 0.0), min(high, 1.0)
    return low, high


def cost_ticks(chart: Chart, low: float, high: float) -> list[float]:
    """Round costs (micro-USD) inside the log10 range ``low..high``: 1-2-5 steps when
    at least two fit, else every whole step, else the cheapest and dearest models' own."""
    # A tick in the padding would sit on the frame, its label cut by the edge.
    edge = (high - low) * 0.04
    low, high = low + edge, high - edge
    for mantissas in TICK_MANTISSAS:
        ticks = [
            m * 10.0**exponent
            for exponent in range(math.floor(low), math.ceil(high) + 1)
            for m in mantissas
            if low <= math.log10(m * 10.0**exponent) <= high
        ]
        if len(ticks) >= 2:
            return ticks
    costs = [dot.cost for dot in chart.dots]
    return sorted({min(costs), max(costs)}) if costs else []
