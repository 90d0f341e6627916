"""Numbers a hostile or buggy server may send: every table, front and cell still renders.

Pure code (response objects, fronts, tables), so tested once; the values arrive the same
way over any client."""

from __future__ import annotations

from typing import Any

import pytest

from pareta import EvalRun, Leaderboard, ModelList
from pareta._objects.metric_report import MetricReport

HUGE = 10**400  # a 400-digit integer: valid JSON, and no float holds it
ODD: list[Any] = [HUGE, -HUGE, 1.7e308, -1.0, 0, "n/a", True, None, [], {}]


def leaderboards() -> list[Leaderboard]:
    boards = []
    for odd in ODD:
        entry = {"name": "a", "kind": "open", "quality": odd, "cost_per_request_micro_usd": odd}
        frontier = {"name": "f", "kind": "frontier", "quality": 0.9}
        boards.append(
            Leaderboard(
                {
                    "task_id": "t",
                    "models": [
                        entry,
                        {"name": "b", "quality": 0.5, "cost_per_request_micro_usd": 3},
                    ],
                    "frontier": {**frontier, "cost_per_request_micro_usd": odd},
                }
            )
        )
    return boards


def runs() -> list[EvalRun]:
    runs = []
    for odd in ODD:
        results = [
            {"model_id": "o", "kind": "open", "quality_mean": odd, "mean_cost_micro_usd": odd},
            {"model_id": "f", "kind": "frontier", "quality_mean": 0.9, "mean_cost_micro_usd": odd},
            {"model_id": "p", "kind": "open", "quality_mean": 0.5, "n_succeeded": odd},
        ]
        runs.append(EvalRun({"run": {"id": "r", "cost_micro_usd": odd}, "results": results}))
    return runs


def model_lists() -> list[ModelList]:
    # ``created`` in milliseconds (a common server bug), or past any calendar.
    created: list[Any] = [1_700_000_000_000, 1.7e308, HUGE, -HUGE, -1e18, "n/a", *ODD]
    return [ModelList({"data": [{"id": "m", "created": value}]}) for value in created]


def reports() -> list[MetricReport]:
    values: list[Any] = [*ODD, 1_700_000_000_000]
    return [
        MetricReport(
            {
                "dimension": "cost",
                "savings": odd,
                "total_usd": odd,
                "series": [{"start": odd, "end": 1_700_000_000_000, "savings": odd, "count": odd}],
            }
        )
        for odd in values
    ]


@pytest.mark.parametrize("make", [leaderboards, runs, model_lists, reports])
def test_odd_numbers_render_in_every_view(make: Any) -> None:
    pytest.importorskip("pandas")
    for value in make():
        front = getattr(value, "pareto_front", None)
        if front is not None:
            for entry in front():
                assert entry.to_dict()
        html = value._repr_html_()
        assert html.startswith('<table class="pareta">')
        frame = value.to_pandas()
        assert len(frame) >= 1
        if isinstance(value, EvalRun):
            assert value.cost >= 0 or value.cost < 0


def test_a_cost_no_float_holds_is_left_off_the_front() -> None:
    board = Leaderboard(
        {
            "models": [
                {"name": "huge", "quality": 0.99, "cost_per_request_micro_usd": HUGE},
                {"name": "cheap", "quality": 0.5, "cost_per_request_micro_usd": 3},
            ]
        }
    )
    assert [entry.name for entry in board.pareto_front()] == ["cheap"]


def test_savings_against_a_cost_no_float_holds_is_left_empty() -> None:
    board = Leaderboard(
        {
            "models": [{"name": "huge", "quality": 0.9, "cost_per_request_micro_usd": HUGE}],
            "frontier": {"name": "f", "quality": 0.9, "cost_per_request_micro_usd": 3},
        }
    )
    assert "<td>huge</td>" in board._repr_html_()
    assert board.to_pandas()["savings"].isna().tolist() == [True, False]  # the frontier: 0
