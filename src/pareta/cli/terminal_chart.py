"""The chart drawn with characters, by plotext: ``--plot`` on a terminal, and the demo.

plotext's own log scale loses the points once ticks are placed by hand (plotext 6.1), so
the cost axis is drawn linear in log10(cost), with the ticks labelled in dollars.
"""

from __future__ import annotations

import math
from typing import Any

from .._extras import missing
from .chart import Chart, Dot, cost_range, cost_ticks, quality_range, usd

OPEN, FRONTIER, INTERVAL = "●", "◆", "│"
LEGEND = {OPEN: "open", FRONTIER: "frontier", "⠤⠒": "Pareto front", INTERVAL: "95% interval"}
COLOURS = {OPEN: "cyan+", FRONTIER: "magenta+", "braille": "green+", INTERVAL: "gray+"}
# The y ruler ("0.950") and the frame's two sides take this many of the plot's columns.
RULER = 7
TICK_GAP = 2


def legend(chart: Chart) -> str:
    keys = [key for key in LEGEND if key != INTERVAL or chart.has_intervals]
    return "  ".join(f"{key} {LEGEND[key]}" for key in keys)


def draw(chart: Chart, *, width: int, height: int, colour: bool) -> str:
    """The chart as ``height`` lines of at most ``width`` characters."""
    try:
        import plotext
    except ImportError as exc:
        raise missing("plotext", extra="cli", purpose="a chart in the terminal") from exc
    figure = plotext.figure
    figure.clear()
    plotext.terminal.limit(False, False)  # the caller fits the width, not plotext
    figure.plot_size(width, height)
    figure.theme("simple")  # the terminal's own colours for the frame; markers carry theirs
    figure.title(chart.title if len(chart.title) < width else "quality against cost")
    figure.label(f"cost per {chart.unit} (log scale)", "x")
    figure.legend(False)
    x_low, x_high = cost_range(chart)
    y_low, y_high = quality_range(chart)
    columns = max(width - RULER, 1)
    ticks = _spaced(cost_ticks(chart, x_low, x_high), x_low, x_high, columns)
    figure.ruler("x").ticks([math.log10(t) for t in ticks], [usd(t) for t in ticks])
    figure.ruler("x").lim(x_low, x_high)
    figure.ruler("y").lim(y_low, y_high)

    # Drawn in this order, so markers sit on the line and the bars, and the label on top.
    front = chart.front
    line = figure.signal(
        [_x(d) for d in front], [d.quality for d in front], marker=_marker(plotext, "braille")
    )
    figure.draw(line.lines())
    for dot in chart.dots:
        if dot.interval:
            bar = figure.segment(
                (_x(dot), _x(dot)), dot.interval, marker=_marker(plotext, INTERVAL)
            )
            figure.draw(bar.density("full"))
    for frontier, symbol in ((False, OPEN), (True, FRONTIER)):
        dots = [d for d in chart.dots if d.frontier == frontier]
        marker = _marker(plotext, symbol)
        figure.draw(figure.signal([_x(d) for d in dots], [d.quality for d in dots], marker=marker))
    if chart.highlight is not None:
        _label(figure, chart, chart.highlight, (x_low, x_high), columns)
    return str(figure.build().string(colorless=not colour))


def _x(dot: Dot) -> float:
    return math.log10(dot.cost)


def _marker(plotext: Any, symbol: str) -> Any:
    return plotext.marker(symbol, COLOURS[symbol])


def _spaced(ticks: list[float], low: float, high: float, columns: int) -> list[float]:
    """The ticks whose centred labels do not touch their neighbours'."""
    kept: list[float] = []
    last_end = -math.inf
    for tick in ticks:
        centre = (math.log10(tick) - low) / (high - low) * columns
        half = len(usd(tick)) / 2
        if centre - half >= last_end + TICK_GAP:
            kept.append(tick)
            last_end = centre + half
    return kept


def _label(figure: Any, chart: Chart, dot: Dot, x_range: tuple[float, float], columns: int) -> None:
    """Name the highlighted model beside its marker, on whichever side has room."""
    low, high = x_range
    column = (_x(dot) - low) / (high - low) * columns
    step = (high - low) / columns * 2
    for text in (chart.highlight_label, chart.highlight_note):
        if column + 2 + len(text) + 2 <= columns:
            figure.draw(figure.text(_x(dot) + step, dot.quality, f"◀ {text}"))
            return
        if column - 2 - len(text) - 2 >= 0:
            figure.draw(figure.text(_x(dot) - step, dot.quality, f"{text} ▶", alignment="right"))
            return
