"""``--plot``: quality against cost, drawn on the terminal or written to a PNG or SVG file.

On a terminal the chart takes the table's place; anywhere else (a pipe, a file, a terminal
narrower than ``MIN_WIDTH``) the table is printed with a line saying why, so a script that
adds ``--plot`` still gets its data.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from rich.text import Text

from .._objects.pareto import dominates
from .chart import Chart
from .console import Output
from .errors import UsageError
from .render import Records, dollars, interval, score

TERMINAL = "-"  # what a bare --plot stands for
SUFFIXES = (".png", ".svg")
MIN_WIDTH = 40
MAX_WIDTH = 120
HEIGHT = 20


def add_plot_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plot",
        nargs="?",
        const=TERMINAL,
        type=_target,
        metavar="FILE",
        help="quality against cost: drawn on this terminal, or written to FILE "
        '(.png or .svg, with pip install "pareta[plot]")',
    )


def _target(text: str) -> str:
    # argparse passes a bare --plot's const through here too; "-" is stdout, as usual.
    if text != TERMINAL and Path(text).suffix.lower() not in SUFFIXES:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a .png or .svg file; give --plot no value to draw on the terminal"
        )
    return text


def check_plot(target: str | None, out: Output) -> None:
    """Refuse, before any request, a terminal chart that ``--json`` leaves no room for."""
    if target == TERMINAL and out.as_json:
        raise UsageError("--plot draws for people, --json prints for scripts: give --plot FILE")


def show(out: Output, target: str | None, table: Records, chart: Callable[[], Chart]) -> None:
    """Print ``table``, or the chart in its place; with a file name, write the chart too."""
    if target is None:
        out.show(table)
        return
    if target != TERMINAL:
        from .chart_file import write

        out.show(table)
        write(chart(), target)
        out.line(f"wrote {target}")
        return
    drawing = chart()
    reason = why_not_drawn(out, drawing)
    if reason:
        out.show(table)
        out.line(f"(no chart: {reason})")
        return
    show_chart(out, drawing)


def write_for_scripts(out: Output, target: str | None, chart: Callable[[], Chart]) -> None:
    """With ``--json`` stdout is the JSON document: write the file and say so on stderr."""
    if target is not None:
        from .chart_file import write

        write(chart(), target)
        out.hint(f"wrote {target}")


def why_not_drawn(out: Output, chart: Chart) -> str | None:
    if not out.console.is_terminal:
        return "stdout is not a terminal; --plot chart.png writes one to a file"
    if out.console.width < MIN_WIDTH:
        return f"the terminal is {out.console.width} columns wide, the chart needs {MIN_WIDTH}"
    if not chart.dots:
        return "no model has both a quality and a cost to place it"
    return None


def show_chart(out: Output, chart: Chart, *, key: bool = True) -> None:
    """The chart, its legend, and (with ``key``) the front as a table of names and numbers."""
    from .terminal_chart import draw, legend

    console = out.console
    colour = console.color_system is not None and not console.no_color
    width = min(console.width, MAX_WIDTH)
    text = draw(chart, width=width, height=HEIGHT, colour=colour)
    out.show(Text.from_ansi(text, no_wrap=True), Text(legend(chart), style="dim"))
    if not key:
        return
    out.show(front_table(chart))
    for line in _notes(chart):
        out.line(line)


def front_table(chart: Chart) -> Records:
    columns = ["model", "kind", "quality", *(["95% CI"] if chart.has_intervals else [])]
    columns.append(f"$/{chart.unit}")
    grid = Records("Pareto front, cheapest first", columns, right=columns[2:])
    for dot in chart.front:
        ci = [interval(dot.low, dot.high)] if chart.has_intervals else []
        grid.add(
            dot.name,
            dot.kind,
            score(dot.quality),
            *ci,
            dollars(dot.cost),
            style="bold green" if dot is chart.highlight else None,
        )
    return grid


def _notes(chart: Chart) -> list[str]:
    notes = []
    best = chart.highlight
    if best is not None and not best.on_front:
        point = (best.quality, best.cost)
        better = next((d for d in chart.front if dominates((d.quality, d.cost), point)), None)
        if better is not None:
            notes.append(
                f"{chart.highlight_label} is off the front: {better.name} scores "
                f"{score(better.quality)} for {dollars(better.cost)} per {chart.unit}"
            )
    if chart.left_off:
        notes.append(f"not drawn, for want of a quality or a cost: {', '.join(chart.left_off)}")
    return notes
