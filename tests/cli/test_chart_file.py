"""The chart as a file: every name of the front placed clear of the others and inside the
axes (as matplotlib measures the text), nothing clipped, the legend off the plot, and the
same bytes for the same chart."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import pytest

from pareta import EvalRun, Leaderboard
from pareta.cli.chart import Chart, leaderboard_chart, run_chart
from pareta.cli.chart_file import MARKER_SIZE, labelled, render, write

from .test_chart import BOARD, entry

pytest.importorskip("matplotlib")


def result(model: str, kind: str, quality: float, cost: int, width: float) -> dict[str, Any]:
    return {
        "model_id": model,
        "kind": kind,
        "quality_mean": quality,
        "quality_ci_low": max(quality - width, 0.0),
        "quality_ci_high": min(quality + width, 1.0),
        "mean_cost_micro_usd": cost,
    }


# The eval run the issue was drawn from: open models crowded within a few pixels, wide
# intervals that reach 1.0, frontier models up against the top right corner.
RUN = EvalRun(
    {
        "run": {"id": "run_e3e70682c2094cac", "status": "completed"},
        "results": [
            result("contract-1", "open", 0.9564, 70, 0.054),
            result("contract-kie-1", "open", 0.9634, 73, 0.035),
            result("qwen-vl-2", "open", 0.9356, 78, 0.063),
            result("qwen-1", "open", 0.9205, 66, 0.076),
            result("gpt-4o", "frontier", 0.947, 872, 0.064),
            result("claude-sonnet-4", "frontier", 0.9129, 1046, 0.088),
            result("gemini-1.5-pro", "frontier", 1.0, 611, 0.035),
            result("mistral-large", "frontier", 0.8667, 518, 0.11),
        ],
    }
)
# A board whose whole front is at the top, cheapest last but one, with long names.
STEEP = Leaderboard(
    {
        "task_id": "steep",
        "recommended": "a-rather-long-open-model-name-2",
        "models": [
            entry("a-rather-long-open-model-name-1", 1.0, 20),
            entry("a-rather-long-open-model-name-2", 0.99, 21),
            entry("a-rather-long-open-model-name-3", 0.995, 22),
            entry("a-rather-long-open-model-name-4", 0.5, 19),
        ],
        "frontier": entry("frontier-x", 1.0, 900, kind="frontier"),
    }
)
CHARTS = {
    "leaderboard": leaderboard_chart(BOARD),
    "run": run_chart(RUN),
    "steep": leaderboard_chart(STEEP),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(CHARTS))
def test_every_front_name_is_placed_clear_and_inside(kind: str) -> None:
    chart = CHARTS[kind]
    figure = render(chart)
    axes = figure.axes[0]
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    area = axes.get_window_extent()
    names = {text.get_text(): text.get_window_extent(renderer) for text in axes.texts}
    wanted = [name for _, name in labelled(chart)]
    assert len(wanted) >= len(chart.front) >= 2
    assert sorted(names) == sorted(wanted)  # every point of the front is named, once
    for name, box in names.items():
        assert area.x0 <= box.x0 and box.x1 <= area.x1, name
        assert area.y0 <= box.y0 and box.y1 <= area.y1, name
    for (one, a), (other, b) in itertools.combinations(names.items(), 2):
        assert not a.overlaps(b), (one, other)
    to_pixels = axes.transData.transform
    radius = math.sqrt(MARKER_SIZE) / 2 * figure.dpi / 72
    legend = figure.legends[0].get_window_extent(renderer)
    for dot in chart.dots:
        x, y = to_pixels((dot.cost, dot.quality))
        # Nothing clipped: the whole marker, and the whole interval, inside the axes.
        assert area.x0 + radius <= x <= area.x1 - radius, dot.name
        assert area.y0 + radius <= y <= area.y1 - radius, dot.name
        for end in dot.interval or ():
            assert area.y0 < to_pixels((dot.cost, end))[1] < area.y1, dot.name
        assert not legend.contains(x, y), dot.name
        # No name covers a marker.
        for name, box in names.items():
            assert not box.contains(x, y), (name, dot.name)
    assert not legend.overlaps(area)


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(CHARTS))
@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_the_same_chart_is_the_same_bytes(kind: str, suffix: str, tmp_path: Path) -> None:
    first, second = tmp_path / f"a.{suffix}", tmp_path / f"b.{suffix}"
    write(CHARTS[kind], str(first))
    write(CHARTS[kind], str(second))
    assert first.read_bytes() == second.read_bytes()
    if suffix == "svg":
        text = first.read_text(encoding="utf-8")
        assert "<dc:date>" not in text
        for _, name in labelled(CHARTS[kind]):
            assert f">{name}</text>" in text


def test_a_chart_of_one_model_draws() -> None:
    chart = Chart("one", "request")
    chart.add("solo", "open", (0.5, 40.0), on_front=True)
    figure = render(chart)
    assert [text.get_text() for text in figure.axes[0].texts] == ["solo"]


def test_a_crowded_front_still_names_every_model_inside_the_axes() -> None:
    chart = Chart("crowded", "request")
    for index in range(14):
        name = f"a-long-model-name-{index}"
        chart.add(name, "open", (0.90 + index * 0.001, 40.0 + index * 0.2), on_front=True)
    figure = render(chart)
    axes = figure.axes[0]
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    area = axes.get_window_extent()
    names = [text.get_text() for text in axes.texts]
    assert sorted(names) == sorted(dot.name for dot in chart.front)
    for text in axes.texts:
        box = text.get_window_extent(renderer)
        assert area.x0 <= box.x0 and box.x1 <= area.x1
        assert area.y0 <= box.y0 and box.y1 <= area.y1
