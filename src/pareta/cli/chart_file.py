"""The chart written to a PNG or SVG file by matplotlib (extra ``pareta[plot]``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from .._exceptions import ParetaError
from .._extras import missing
from .chart import Chart, cost_range, cost_ticks, quality_range, usd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

SIZE_INCHES = (8.0, 5.0)
DPI = 100
RIGHT_EDGE = 0.75  # of the cost axis: names of models beyond it go on their left
COLOURS = {"open": "#1f77b4", "frontier": "#c2185b", "front": "#2e7d32", "interval": "#9e9e9e"}


def write(chart: Chart, path: str) -> None:
    suffix = Path(path).suffix.lower().lstrip(".")
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise missing("matplotlib", extra="plot", purpose=f"writing {Path(path).name}") from exc
    # Text stays text in an SVG (searchable, and small); the salt keeps its ids stable.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "pareta"}):
        figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)  # Agg, whatever backend the session has chosen
        axes = figure.add_subplot()
        _plot(axes, chart)
        _label(axes, chart)
        _frame(axes, chart)
        try:
            figure.savefig(path, format=suffix)
        except OSError as exc:
            raise ParetaError(f"could not write {path}: {exc.strerror or exc}") from exc


def _plot(axes: Axes, chart: Chart) -> None:
    front = chart.front
    axes.plot(
        [d.cost for d in front],
        [d.quality for d in front],
        color=COLOURS["front"],
        zorder=1,
        label="Pareto front",
    )
    labelled = False
    for dot in chart.dots:
        if dot.interval:
            low, high = dot.interval
            axes.errorbar(
                [dot.cost],
                [dot.quality],
                yerr=[[max(dot.quality - low, 0.0)], [max(high - dot.quality, 0.0)]],
                fmt="none",
                ecolor=COLOURS["interval"],
                capsize=3,
                zorder=2,
                label=None if labelled else "95% interval",
            )
            labelled = True
    for kind, marker in (("open", "o"), ("frontier", "D")):
        dots = [d for d in chart.dots if d.frontier == (kind == "frontier")]
        axes.scatter(
            [d.cost for d in dots],
            [d.quality for d in dots],
            marker=marker,
            color=COLOURS[kind],
            zorder=3,
            label=kind,
        )


def _label(axes: Axes, chart: Chart) -> None:
    """Name the front's models, and ring and name the highlighted one in bold; a name
    near the right edge goes on the left of its marker, so the edge does not cut it."""
    low, high = cost_range(chart)
    for dot in chart.dots:
        highlighted = dot is chart.highlight
        if highlighted:
            axes.scatter([dot.cost], [dot.quality], s=160, facecolors="none", edgecolors="k")
        if dot.on_front or highlighted:
            left = (math.log10(dot.cost) - low) / (high - low) > RIGHT_EDGE
            axes.annotate(
                chart.highlight_label if highlighted else dot.name,
                (dot.cost, dot.quality),
                xytext=(-8 if left else 8, -3),
                textcoords="offset points",
                horizontalalignment="right" if left else "left",
                fontsize=8,
                fontweight="bold" if highlighted else "normal",
            )


def _frame(axes: Axes, chart: Chart) -> None:
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    low, high = cost_range(chart)
    axes.set_xscale("log")
    axes.set_xlim(10**low, 10**high)
    axes.set_ylim(*quality_range(chart))
    axes.xaxis.set_major_locator(FixedLocator(cost_ticks(chart, low, high)))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: usd(value)))
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.set_xlabel(f"cost per {chart.unit} (log scale)")
    axes.set_ylabel("quality")
    axes.set_title(chart.title)
    axes.grid(alpha=0.3)
    axes.legend(loc="best", fontsize=8)
