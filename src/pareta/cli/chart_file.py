"""The chart written to a PNG or SVG file by matplotlib (extra ``pareta[plot]``).

Every model of the Pareto front is named, and the highlighted one (the recommended model,
or the run's winner) ringed and named in bold. Names are placed one at a time, from the
highlight along the front, at the first spot around their marker where the name's
extent (as matplotlib measures it) stays inside the axes and clear of the names already
placed, of the markers and, where it can, of the front's line and the interval bars;
a name placed away from its marker gets a leader line. The legend sits under the axes,
where it covers nothing. The same chart gives the same bytes: no date in the SVG, a
fixed salt for its ids.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import TYPE_CHECKING

from .._exceptions import ParetaError
from .._extras import missing
from .chart import Chart, Dot, cost_range, cost_ticks, quality_range, usd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.text import Annotation
    from matplotlib.transforms import Bbox

SIZE_INCHES = (8.0, 5.0)
DPI = 100
COLOURS = {"open": "#1f77b4", "frontier": "#c2185b", "front": "#2e7d32", "interval": "#9e9e9e"}
FONT_SIZE = 8
MARKER_SIZE = 36  # points², matplotlib's default for scatter
RING_SIZE = 160
# Where a name may go around its marker, nearest first: the direction (in units of the
# distance) and how the text is anchored there.
DIRECTIONS = (
    (1, 0, "left", "center"),
    (-1, 0, "right", "center"),
    (0, 1, "center", "bottom"),
    (0, -1, "center", "top"),
    (1, 1, "left", "bottom"),
    (1, -1, "left", "top"),
    (-1, 1, "right", "bottom"),
    (-1, -1, "right", "top"),
)
DISTANCES = (7, 14, 24, 36, 52, 72)  # points from the marker's centre
LEADER_FROM = 14  # from this distance on, a line joins the name to its marker
# What a name may cover, worst first: another name, a marker, the front's line (per few
# pixels of it), an interval bar (the same); and a little for each point of distance, so
# that of two spots that cover as much the nearer wins.
WEIGHTS = {"name": 1000.0, "marker": 50.0, "front": 4.0, "bar": 1.0, "distance": 0.01}


def write(chart: Chart, path: str) -> None:
    suffix = Path(path).suffix.lower().lstrip(".")
    try:
        import matplotlib
    except ImportError as exc:
        raise missing("matplotlib", extra="plot", purpose=f"writing {Path(path).name}") from exc
    # Text stays text in an SVG (searchable, and small); the salt keeps its ids stable.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "pareta"}):
        figure = render(chart)
        # An SVG names the date it was written unless told not to: the same chart, the
        # same bytes.
        metadata = {"Date": None} if suffix == "svg" else None
        try:
            figure.savefig(path, format=suffix, metadata=metadata)
        except OSError as exc:
            raise ParetaError(f"could not write {path}: {exc.strerror or exc}") from exc


def render(chart: Chart) -> Figure:
    """The chart as a matplotlib ``Figure`` on an Agg canvas, its names placed (``write``
    says which extra to install when matplotlib is missing)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    canvas = FigureCanvasAgg(figure)  # Agg, whatever backend the session has chosen
    axes = figure.add_subplot()
    _plot(axes, chart)
    _frame(axes, chart)
    # The layout settles the axes' place first; the names are then measured against it,
    # and the layout is kept as it is.
    canvas.draw()  # type: ignore[no-untyped-call]  # Agg ships no annotations here
    figure.set_layout_engine("none")
    _label(axes, chart, canvas.get_renderer())  # type: ignore[no-untyped-call]
    return figure


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
            s=MARKER_SIZE,
            marker=marker,
            color=COLOURS[kind],
            zorder=3,
            label=kind,
        )
    if chart.highlight is not None:
        dot = chart.highlight
        axes.scatter(
            [dot.cost], [dot.quality], s=RING_SIZE, facecolors="none", edgecolors="k", zorder=4
        )


def labelled(chart: Chart) -> list[tuple[Dot, str]]:
    """The models named on the chart, in the order they are placed: the highlight first,
    then the front, cheapest first."""
    names = []
    if chart.highlight is not None:
        names.append((chart.highlight, chart.highlight_label))
    names += [(dot, dot.name) for dot in chart.front if dot is not chart.highlight]
    return names


def _label(axes: Axes, chart: Chart, renderer: RendererBase) -> None:
    obstacles = _Obstacles(axes, chart)
    for dot, name in labelled(chart):
        bold = dot is chart.highlight
        best: tuple[float, int, tuple[int, int, str, str]] | None = None
        for distance, direction in itertools.product(DISTANCES, DIRECTIONS):
            text = _annotate(axes, dot, name, distance, direction, bold)
            box = text.get_window_extent(renderer).padded(2)
            text.remove()
            cost = obstacles.cost(box)
            if cost > 0:
                cost += WEIGHTS["distance"] * distance
            if best is None or cost < best[0]:
                best = (cost, distance, direction)
            if cost == 0:
                break
        assert best is not None
        _, distance, direction = best
        text = _annotate(axes, dot, name, distance, direction, bold)
        obstacles.names.append(text.get_window_extent(renderer))
        if distance >= LEADER_FROM:
            # A name set apart from its marker is tied to it by a thin line.
            text.remove()
            _annotate(axes, dot, name, distance, direction, bold, leader=True)


def _annotate(
    axes: Axes,
    dot: Dot,
    name: str,
    distance: float,
    direction: tuple[int, int, str, str],
    bold: bool,
    *,
    leader: bool = False,
) -> Annotation:
    dx, dy, across, up = direction
    scale = distance / math.hypot(dx, dy)
    return axes.annotate(
        name,
        (dot.cost, dot.quality),
        xytext=(dx * scale, dy * scale),
        textcoords="offset points",
        horizontalalignment=across,
        verticalalignment=up,
        fontsize=FONT_SIZE,
        fontweight="bold" if bold else "normal",
        zorder=5,
        annotation_clip=False,
        arrowprops=(
            {"arrowstyle": "-", "color": "0.45", "linewidth": 0.6, "shrinkA": 1, "shrinkB": 5}
            if leader
            else None
        ),
    )


class _Obstacles:
    """What a name must not cover, in display coordinates (pixels)."""

    def __init__(self, axes: Axes, chart: Chart) -> None:
        self.area = axes.get_window_extent()
        to_pixels = axes.transData.transform
        radius = math.sqrt(MARKER_SIZE) / 2 * axes.figure.dpi / 72 + 1
        self.markers = [tuple(to_pixels((d.cost, d.quality))) for d in chart.dots]
        self.radius = radius
        self.names: list[Bbox] = []
        # The front's line and the interval bars, as points a few pixels apart.
        self.front_points: list[tuple[float, float]] = []
        self.bar_points: list[tuple[float, float]] = []
        front = [tuple(to_pixels((d.cost, d.quality))) for d in chart.front]
        for (x0, y0), (x1, y1) in itertools.pairwise(front):
            steps = max(1, int(math.hypot(x1 - x0, y1 - y0) / 3))
            self.front_points += [
                (x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps) for i in range(steps + 1)
            ]
        for dot in chart.dots:
            if dot.interval:
                (x, low), (_, high) = to_pixels(
                    [(dot.cost, dot.interval[0]), (dot.cost, dot.interval[1])]
                )
                steps = max(1, int((high - low) / 3))
                self.bar_points += [(x, low + (high - low) * i / steps) for i in range(steps + 1)]

    def cost(self, box: Bbox) -> float:
        """How bad it is to put a name in ``box``; 0 when it covers nothing."""
        area = self.area
        if box.x0 < area.x0 or box.x1 > area.x1 or box.y0 < area.y0 or box.y1 > area.y1:
            return math.inf
        names = sum(box.overlaps(other) for other in self.names)
        markers = sum(_near(box, x, y, self.radius) for x, y in self.markers)
        front = _inside(box, self.front_points)
        bars = _inside(box, self.bar_points)
        return (
            WEIGHTS["name"] * names
            + WEIGHTS["marker"] * markers
            + WEIGHTS["front"] * front
            + WEIGHTS["bar"] * bars
        )


def _inside(box: Bbox, points: list[tuple[float, float]]) -> int:
    x0, y0, x1, y1 = box.extents
    return sum(1 for x, y in points if x0 <= x <= x1 and y0 <= y <= y1)


def _near(box: Bbox, x: float, y: float, radius: float) -> bool:
    """Whether a marker of ``radius`` pixels at ``(x, y)`` touches ``box``."""
    dx = max(box.x0 - x, 0.0, x - box.x1)
    dy = max(box.y0 - y, 0.0, y - box.y1)
    return bool(dx * dx + dy * dy < radius * radius)


def _frame(axes: Axes, chart: Chart) -> None:
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    low, high = cost_range(chart)
    axes.set_xscale("log")
    axes.set_xlim(10**low, 10**high)
    bottom, top = quality_range(chart)
    # Room beyond the range for a marker, a cap or a name at quality 1.0 (or 0): the
    # ticks stay within what a quality can be.
    margin = (top - bottom) * 0.07
    axes.set_ylim(bottom - margin, top + margin)
    ticks = [t for t in axes.get_yticks() if bottom - 1e-9 <= t <= top + 1e-9]
    axes.yaxis.set_major_locator(FixedLocator(ticks))
    axes.xaxis.set_major_locator(FixedLocator(cost_ticks(chart, low, high)))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: usd(value)))
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.set_xlabel(f"cost per {chart.unit} (log scale)")
    axes.set_ylabel("quality")
    axes.set_title(chart.title)
    axes.grid(alpha=0.3)
    handles, names = axes.get_legend_handles_labels()
    axes.figure.legend(
        handles,
        names,
        loc="outside lower center",
        ncols=len(names),
        fontsize=FONT_SIZE,
        frameon=False,
    )
