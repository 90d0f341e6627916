"""The chart drawn with characters, by plotext: ``--plot`` on a terminal, and the demo.

plotext's own log scale loses the points once ticks are placed by hand (plotext 6.1), so
the cost axis is drawn linear in log10(cost), with the ticks labelled in dollars.

The highlighted model's name is written on blank cells of the drawn chart, never over the
front's line, a marker or a bar: beside its marker when that row has room, else on the
row above or below with an arrow pointing at it (``↙ name``).
"""

from __future__ import annotations

import itertools
import math
import re
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
    plain = str(figure.build().string(colorless=True))
    if chart.highlight is None:
        return plain if not colour else str(figure.build().string(colorless=False))
    spot = _spot(plain.split("\n"), chart, (x_low, x_high), (y_low, y_high))
    drawn = plain if not colour else str(figure.build().string(colorless=False))
    if spot is None:
        return drawn
    row, column, text = spot
    lines = drawn.split("\n")
    lines[row] = _overwrite(lines[row], column, text)
    return "\n".join(lines)


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


# Where the name may go, best first: (rows down, side, how it points at the marker).
SPOTS = (
    (0, 1, "◀ {}"),
    (0, -1, "{} ▶"),
    (-1, 1, "↙ {}"),
    (1, 1, "↖ {}"),
    (-1, -1, "{} ↘"),
    (1, -1, "{} ↗"),
)
SHIFTS = range(4)  # how many more columns away from the marker a name may start
# What a name may cover, worst first: a marker, the front's line, anything else (a bar).
COVER = {OPEN: 100, FRONTIER: 100}
LINE_COVER, OTHER_COVER = 10, 1
_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def _spot(
    lines: list[str],
    chart: Chart,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
) -> tuple[int, int, str] | None:
    """The row, column and text of the highlighted model's name: the first spot (longest
    text first) whose cells are all blank, else the one that covers the fewest."""
    dot = chart.highlight
    assert dot is not None
    top = next(i for i, line in enumerate(lines) if "┌" in line)
    bottom = next(i for i, line in enumerate(lines) if "└" in line)
    left, right = lines[top].index("┌"), lines[top].index("┐")
    columns, rows = right - left - 1, bottom - top - 1
    x = (_x(dot) - x_range[0]) / (x_range[1] - x_range[0])
    y = (dot.quality - y_range[0]) / (y_range[1] - y_range[0])
    column = left + 1 + round(x * (columns - 1))
    row = bottom - 1 - round(y * (rows - 1))
    best: tuple[int, int, int, str] | None = None
    for text in (chart.highlight_label, chart.highlight_note):
        for shift, (down, side, form) in itertools.product(SHIFTS, SPOTS):
            label = form.format(text)
            gap = (2 if down == 0 else 1) + shift  # beside the marker, or diagonally by it
            start = column + gap if side > 0 else column - gap - len(label) + 1
            line = row + down
            if start <= left or start + len(label) >= right or not top < line < bottom:
                continue
            covered = _covered(lines[line][start - 1 : start + len(label) + 1])
            if covered == 0:
                return line, start, label
            if best is None or covered < best[0]:
                best = (covered, line, start, label)
    return None if best is None else best[1:]


def _covered(cells: str) -> int:
    return sum(
        COVER.get(cell, LINE_COVER if "\u2800" <= cell <= "\u28ff" else OTHER_COVER)
        for cell in cells
        if cell != " "
    )


def _overwrite(line: str, column: int, text: str) -> str:
    """``line`` with the cells from ``column`` on replaced by ``text`` (colour codes kept)."""
    out, visible, index = [], 0, 0
    while index < len(line):
        escape = _ESCAPE.match(line, index)
        if escape:
            out.append(escape.group())
            index = escape.end()
            continue
        offset = visible - column
        out.append(text[offset] if 0 <= offset < len(text) else line[index])
        visible += 1
        index += 1
    return "".join(out)
