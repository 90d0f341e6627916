"""The quality-against-cost chart: what it places, and its drawing on a terminal."""

from __future__ import annotations

import io
import re
import sys
from typing import Any

import pytest
from rich.console import Console

from pareta import EvalRun, Leaderboard, MissingDependencyError
from pareta.cli.chart import (
    Chart,
    Dot,
    cost_range,
    cost_ticks,
    leaderboard_chart,
    quality_range,
    run_chart,
    usd,
)
from pareta.cli.console import Output
from pareta.cli.plot import show_chart, why_not_drawn
from pareta.cli.terminal_chart import draw

FRONT = ["mistral-2", "llama-2", "qwen-2", "mistral-1", "qwen-1", "contract-1", "gpt-4o"]


def entry(name: str, quality: float | None, cost: int | None, kind: str = "open") -> dict[str, Any]:
    return {"name": name, "kind": kind, "quality": quality, "cost_per_request_micro_usd": cost}


# The local server's contract-key-fields board, as it ranks it.
BOARD = Leaderboard(
    {
        "task_id": "contract-key-fields",
        "recommended": "contract-kie-1",
        "models": [
            entry("contract-1", 0.955, 70),
            entry("contract-kie-1", 0.948, 74),
            entry("qwen-vl-2", 0.948, 79),
            entry("qwen-1", 0.928, 66),
            entry("mistral-1", 0.917, 53),
            entry("llama-1", 0.908, 61),
            entry("contract-key-fields-open-1", 0.905, 68),
            entry("qwen-2", 0.903, 39),
            entry("contract-kie-2", 0.883, 45),
            entry("contract-2", 0.87, 41),
            entry("llama-2", 0.849, 31),
            entry("contract-key-fields-open-2", 0.84, 36),
            entry("mistral-2", 0.833, 28),
        ],
        "frontier": entry("gpt-4o", 0.968, 875, kind="frontier"),
    }
)


def terminal(width: int) -> tuple[Output, io.StringIO]:
    """An ``Output`` that believes it writes to a colourless terminal ``width`` wide."""
    out = Output()
    buffer = io.StringIO()
    out.console = Console(
        file=buffer, width=width, force_terminal=True, color_system=None, highlight=False
    )
    return out, buffer


def test_a_leaderboard_chart_places_every_model_and_marks_the_front() -> None:
    chart = leaderboard_chart(BOARD)
    assert len(chart.dots) == 14
    assert [dot.name for dot in chart.front] == FRONT
    assert chart.highlight is not None
    assert chart.highlight_label == "contract-kie-1 (recommended)"
    assert [dot.frontier for dot in chart.dots].count(True) == 1
    assert chart.unit == "request"
    assert not chart.has_intervals


@pytest.mark.parametrize("width", [40, 64, 100, 120])
def test_the_terminal_chart_of_a_known_board(width: int) -> None:
    out, buffer = terminal(width)
    show_chart(out, leaderboard_chart(BOARD))
    text = buffer.getvalue()
    lines = text.splitlines()
    assert "\x1b[" not in text
    assert max(len(line) for line in lines) <= width
    title = "contract-key-fields: quality against cost per request"
    assert title in lines[0] if width > len(title) else "quality against cost" in lines[0]
    assert "cost per request (log scale)" in text
    assert re.search(r"\$0\.000\d+ .*\$0\.000\d+", lines[18]), "the cost ticks are dollars"
    assert "● open  ◆ frontier  ⠤⠒ Pareto front" in text
    # The recommended model is named on the chart itself, beside its marker.
    chart_lines = "\n".join(lines[:20])
    assert re.search(
        r"[◀↙↖] (contract-kie-1 \(recommended\)|recommended)"
        r"|(contract-kie-1 \(recommended\)|recommended) [▶↘↗]",
        chart_lines,
    )
    assert "◆" in chart_lines
    assert "●" in chart_lines
    # The front, cheapest first, under it.
    assert "Pareto front, cheapest first" in text
    key = text.index("Pareto front, cheapest first")
    positions = [text.index(name, key) for name in FRONT]
    assert positions == sorted(positions)
    assert (
        "contract-kie-1 (recommended) is off the front: contract-1 scores 0.955 "
        "for $0.000070 per request" in " ".join(text.split())
    )


def test_a_wider_terminal_draws_no_wider_than_120_columns() -> None:
    out, buffer = terminal(200)
    show_chart(out, leaderboard_chart(BOARD), key=False)
    lines = buffer.getvalue().splitlines()
    assert max(len(line) for line in lines) == 120
    assert "Pareto front, cheapest first" not in buffer.getvalue()


def test_an_eval_run_chart_has_intervals_and_names_the_winner() -> None:
    def result(model: str, kind: str, quality: float, cost: int) -> dict[str, Any]:
        return {
            "model_id": model,
            "kind": kind,
            "quality_mean": quality,
            "quality_ci_low": quality - 0.04,
            "quality_ci_high": min(quality + 0.04, 1.0),
            "mean_cost_micro_usd": cost,
        }

    run = EvalRun(
        {
            "run": {"id": "run_1", "status": "completed"},
            "results": [
                result("contract-kie-1", "open", 0.963, 73),
                result("qwen-2", "open", 0.90, 39),
                result("gemini-1.5-pro", "frontier", 0.97, 611),
                result("gpt-4o", "frontier", 0.947, 872),
                {"model_id": "failed-1", "kind": "open", "quality_mean": None},
            ],
        }
    )
    chart = run_chart(run)
    assert chart.left_off == ["failed-1"]
    assert chart.highlight_label == "contract-kie-1 (winner)"
    out, buffer = terminal(100)
    show_chart(out, chart)
    text = buffer.getvalue()
    assert "eval run run_1: quality against cost per item" in text
    assert re.search(r"[◀↙↖] contract-kie-1 \(winner\)", text)
    assert "│ 95% interval" in text
    assert re.search(r"model\s+kind\s+quality\s+95% CI\s+\$/item", text)
    assert re.search(r"contract-kie-1\s+open\s+0\.963\s+\[0\.923, 1\.000\]\s+\$0\.000073", text)
    assert "gpt-4o  " not in text  # beaten by gemini: off the front
    assert "not drawn, for want of a quality or a cost: failed-1" in text


def test_a_label_with_no_room_on_the_right_goes_to_the_left() -> None:
    board = Leaderboard({**BOARD.to_dict(), "recommended": "gpt-4o"})
    text = draw(leaderboard_chart(board), width=80, height=16, colour=False)
    # Left of its marker, on its row or (the front's line there) on the row above.
    assert re.search(r"gpt-4o \(recommended\) [▶↘↗]", text)


def test_a_label_too_long_for_either_side_shortens_then_goes() -> None:
    board = Leaderboard(
        {"recommended": "a-model-with-a-very-long-alias-1", "models": [
            entry("a-model-with-a-very-long-alias-1", 0.9, 100), entry("b", 0.8, 10)
        ]}
    )  # fmt: skip
    chart = leaderboard_chart(board)
    assert "recommended ▶" in draw(chart, width=44, height=12, colour=False)
    assert "recommended" not in draw(chart, width=20, height=12, colour=False)


def test_colours_reach_the_terminal_only_when_it_has_them() -> None:
    chart = leaderboard_chart(BOARD)
    assert "\x1b[" in draw(chart, width=80, height=16, colour=True)
    assert "\x1b[" not in draw(chart, width=80, height=16, colour=False)


def test_models_the_log_axis_cannot_place_are_named_under_it() -> None:
    board = Leaderboard(
        {"models": [entry("free", 0.9, 0), entry("paid", 0.95, 50), {"quality": 0.5}]}
    )
    chart = leaderboard_chart(board)
    assert [dot.name for dot in chart.dots] == ["paid"]
    assert chart.left_off == ["free", "(unnamed)"]
    # free is on the front (nothing is cheaper) but cannot be drawn: paid is what is left.
    assert [dot.name for dot in chart.front] == ["paid"]
    drawn = draw(chart, width=60, height=12, colour=False)
    assert "●" in drawn
    assert "◀" not in drawn  # no recommended model, no label


def test_a_highlight_beaten_only_by_an_undrawn_model_gets_no_note() -> None:
    board = Leaderboard(
        {"recommended": "paid", "models": [entry("free", 0.95, 0), entry("paid", 0.9, 50)]}
    )
    out, buffer = terminal(80)
    show_chart(out, leaderboard_chart(board))
    assert "off the front" not in buffer.getvalue()


def test_why_a_chart_is_not_drawn() -> None:
    chart = leaderboard_chart(BOARD)
    assert why_not_drawn(terminal(80)[0], chart) is None
    assert why_not_drawn(terminal(39)[0], chart) == (
        "the terminal is 39 columns wide, the chart needs 40"
    )
    assert why_not_drawn(terminal(80)[0], Chart("t", "request")) == (
        "no model has both a quality and a cost to place it"
    )
    piped = Output()
    piped.console = Console(file=io.StringIO(), width=80)
    assert why_not_drawn(piped, chart) == (
        "stdout is not a terminal; --plot chart.png writes one to a file"
    )


def test_without_plotext_the_terminal_chart_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "plotext", None)
    with pytest.raises(MissingDependencyError, match=r'needs plotext: pip install "pareta\[cli\]"'):
        draw(leaderboard_chart(BOARD), width=80, height=16, colour=False)


# -- axes -----------------------------------------------------------------------------


def chart_of(*costs: float, qualities: tuple[float, ...] = ()) -> Chart:
    chart = Chart("t", "request")
    for index, cost in enumerate(costs):
        quality = qualities[index] if qualities else 0.5
        chart.dots.append(Dot(f"m{index}", "open", quality, cost))
    return chart


def test_dollar_labels_drop_trailing_zeros() -> None:
    assert usd(50) == "$0.00005"
    assert usd(1_000) == "$0.001"
    assert usd(2_000_000) == "$2"
    assert usd(875) == "$0.000875"


def test_cost_ticks_step_1_2_5_then_1_to_9_then_fall_back_to_the_costs() -> None:
    wide = chart_of(28, 875)
    assert cost_ticks(wide, *cost_range(wide)) == [50, 100, 200, 500]
    narrow = chart_of(66, 78)
    assert cost_ticks(narrow, *cost_range(narrow)) == [60, 70, 80, 90]
    lone = chart_of(150)
    assert cost_ticks(lone, *cost_range(lone)) == [150]
    assert cost_ticks(Chart("t", "item"), 1.0, 1.1) == []


def test_the_quality_axis_pads_and_stays_within_0_and_1() -> None:
    assert quality_range(chart_of(10, 20, qualities=(0.5, 0.99))) == pytest.approx((0.4608, 1.0))
    assert quality_range(chart_of(10, qualities=(0.0,))) == pytest.approx((0.0, 0.01))
    assert quality_range(chart_of(10, qualities=(1.5,))) == pytest.approx((1.49, 1.51))
    assert quality_range(Chart("t", "item")) == pytest.approx((0.0, 1.0))
    reversed_interval = Dot("m", "open", 0.5, 10, low=0.6, high=0.4)
    assert reversed_interval.interval is None


def test_the_highlighted_name_covers_no_marker_and_no_line() -> None:
    from dataclasses import replace

    from .test_chart_file import RUN

    for chart in (leaderboard_chart(BOARD), run_chart(RUN)):
        for width, height in ((60, 16), (88, 22), (120, 24)):
            named = draw(chart, width=width, height=height, colour=False).splitlines()
            bare = draw(replace(chart, highlight=None), width=width, height=height, colour=False)
            changed = [
                (before, after)
                for line_before, line_after in zip(bare.splitlines(), named, strict=True)
                for before, after in zip(line_before, line_after, strict=True)
                if before != after
            ]
            assert changed, (width, chart.title)  # the name is on the chart
            covered = {before for before, _ in changed} - {" "}
            assert not covered & {"●", "◆"}, (width, chart.title)
            assert not any("\u2800" <= cell <= "\u28ff" for cell in covered), (width, covered)
