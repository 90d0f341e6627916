from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from pareta import EvalResult, EvalRun, Leaderboard, ParetaError
from pareta._objects.pareto import savings
from pareta._objects.rankings import best_open, frontier_baseline
from pareta.cli.console import Output
from pareta.cli.progress import Stages, deploy_step, follow_deploy, run_step
from pareta.cli.render import (
    Records,
    dollars,
    fields_table,
    leaderboard_table,
    results_table,
    run_summary,
)


def rendered(renderable: Any, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def listing() -> Records:
    grid = Records("Endpoints", ["endpoint", "task", "status"])
    grid.add("ep_contract_kie_qwen", "support-ticket-classification", "live")
    return grid


def test_dollars_keep_sub_cent_rates() -> None:
    assert dollars(850) == "$0.000850"
    assert dollars(1_234_567) == "$1.234567"
    assert dollars(None) == "-"


def test_savings() -> None:
    assert savings(75, 885) == pytest.approx(1 - 75 / 885)
    assert savings(120, 100) == pytest.approx(-0.2)
    assert savings(None, 100) is None
    assert savings(10, 0) is None


def test_a_table_that_fits_is_a_table() -> None:
    text = rendered(listing(), 80)
    assert text.splitlines()[0] == "Endpoints"
    assert "ep_contract_kie_qwen  support-ticket-classification  live" in text


def test_a_table_too_wide_becomes_blocks_and_never_splits_an_id() -> None:
    lines = rendered(listing(), 40).splitlines()
    assert lines == [
        "Endpoints",
        "- ep_contract_kie_qwen",
        "    task: support-ticket-classification",
        "    status: live",
    ]


def test_fields_wrap_before_they_stack() -> None:
    data = {"id": "contract-key-fields", "description": "Extract parties and dates from contracts."}
    wrapped = rendered(fields_table("Task", data), 40)
    assert "description  Extract parties and" in wrapped
    stacked = rendered(fields_table("Task", data), 24).splitlines()
    assert stacked[:3] == ["Task", "id: contract-key-fields", "description: Extract "]


def test_fields_show_money_and_times_for_people() -> None:
    data = {"total_micro_usd": 64, "window_start": 1_800_000_000.5, "series": [{"a": 1}]}
    text = rendered(fields_table("cost", data), 100)
    assert "$0.000064 (64 micro-USD)" in text
    assert "2027-01-15 08:00:00 UTC" in text
    assert "1 entry" in text


def test_an_empty_listing_says_so() -> None:
    assert rendered(Records("Eval sets", ["eval set", "task"]), 80) == "Eval sets\n  (none)\n"


def result(model: str, kind: str, quality: float | None, cost: int) -> dict[str, Any]:
    return {
        "model_id": model,
        "kind": kind,
        "quality_mean": quality,
        "quality_ci_low": None if quality is None else quality - 0.05,
        "quality_ci_high": None if quality is None else quality + 0.05,
        "mean_cost_micro_usd": cost,
        "n_succeeded": 8,
        "error_count": 0,
    }


RUN = EvalRun(
    {
        "run": {"id": "run_1", "status": "completed", "cost_micro_usd": 26_137},
        "results": [
            result("cheap-1", "open", 0.90, 50),
            result("gpt-4o", "frontier", 0.95, 800),
            result("good-1", "open", 0.93, 80),
            result("twin-1", "open", 0.93, 70),
            result("broken-1", "open", None, 0),
            result("mini", "frontier", 0.80, 100),
        ],
    }
)


def test_the_winner_is_the_best_open_model_and_the_cheaper_on_a_tie() -> None:
    winner = best_open(RUN.results)
    assert winner is not None
    assert winner.model_id == "twin-1"
    baseline = frontier_baseline(RUN.results)
    assert baseline is not None
    assert baseline.model_id == "gpt-4o"
    assert best_open([EvalResult(result("gpt-4o", "frontier", 0.9, 1))]) is None


def test_results_table_ranks_by_quality_with_interval_cost_and_savings() -> None:
    lines = rendered(results_table(RUN), 120).splitlines()
    assert lines[0] == "Eval run run_1: completed"
    assert lines[3].split() == [
        "gpt-4o",
        "frontier",
        "0.950",
        "[0.900,",
        "1.000]",
        "$0.000800",
        "-",
        "8/0",
    ]
    assert lines[4].split()[:2] == ["good-1", "open"]
    assert lines[4].split()[-3:] == ["$0.000080", "90%", "8/0"]
    assert lines[-1].split()[:4] == ["broken-1", "open", "-", "-"]


@pytest.mark.parametrize(
    ("event", "step"),
    [
        (
            {"event": "progress", "data": {"stage": "pulling weights", "pct": 45}},
            (45.0, "pulling weights"),
        ),
        ({"event": "progress", "data": {"message": "queued"}}, (None, "queued")),
        ({"event": "progress", "data": "odd"}, (None, "progress")),
        ({"event": "complete", "data": {"endpoint": {"id": "ep_1"}}}, (100.0, "live")),
    ],
)
def test_deploy_steps(event: dict[str, Any], step: tuple[float | None, str]) -> None:
    assert deploy_step(event) == step


def test_following_a_deploy(capsys: pytest.CaptureFixture[str]) -> None:
    with Stages(Output(), "deploying m") as stages:
        assert (
            follow_deploy({"event": "progress", "data": {"stage": "a", "pct": 5}}, stages) is None
        )
        assert (
            follow_deploy({"event": "progress", "data": {"stage": "a", "pct": 9}}, stages) is None
        )
        endpoint = follow_deploy(
            {"event": "complete", "data": {"endpoint": {"id": "ep_1"}}}, stages
        )
        assert endpoint is not None
        assert endpoint.id == "ep_1"
        with pytest.raises(ParetaError, match="deploy failed: out of memory"):
            follow_deploy({"event": "error", "data": {"message": "out of memory"}}, stages)
        with pytest.raises(ParetaError, match="without an endpoint record"):
            follow_deploy({"event": "complete", "data": {}}, stages)
    # A pipe gets one line per new stage, not one per event.
    assert capsys.readouterr().out == "  deploying m: a (5%)\n  deploying m: live (100%)\n"


def test_json_output_draws_no_progress(capsys: pytest.CaptureFixture[str]) -> None:
    with Stages(Output(as_json=True), "deploying m") as stages:
        stages.update(50, "half")
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("status", "step"),
    [("running", (30.0, "running")), ("evaluating", (65.0, "evaluating")),
     ("completed", (100.0, "completed")), ("failed", (100.0, "failed")), (None, (5.0, "queued"))],
)  # fmt: skip
def test_run_steps(status: str | None, step: tuple[float | None, str]) -> None:
    assert run_step(EvalRun({"run_id": "run_1", "status": status})) == step


def board(models: list[dict[str, Any]], frontier: dict[str, Any] | None) -> Leaderboard:
    return Leaderboard(
        {"task_id": "t", "recommended": "m-1", "models": models, "frontier": frontier}
    )


def entry(name: str, kind: str = "open") -> dict[str, Any]:
    return {"name": name, "kind": kind, "quality": 0.9, "cost_per_request_micro_usd": 70}


def test_leaderboard_lists_the_frontier_baseline_once() -> None:
    listed = board([entry("m-1"), entry("gpt-4o", "frontier")], entry("gpt-4o", "frontier"))
    rows = rendered(leaderboard_table(listed), 100).splitlines()[3:]
    assert [row.split()[0] for row in rows] == ["m-1", "gpt-4o"]
    apart = board([entry("m-1"), entry("m-2")], entry("gpt-4o", "frontier"))
    rows = rendered(leaderboard_table(apart, limit=1), 100).splitlines()[3:]
    assert [row.split()[0] for row in rows] == ["m-1", "gpt-4o"]
    without = board([entry("m-1")], None)
    rows = rendered(leaderboard_table(without), 100).splitlines()[3:]
    assert [row.split()[0] for row in rows] == ["m-1"]


def test_a_failed_run_summary_carries_its_error() -> None:
    failed = EvalRun({"run": {"id": "run_9", "status": "failed", "error_detail": "scorer crashed"}})
    assert rendered(run_summary(failed), 100).splitlines()[-1] == "error: scorer crashed"
    assert "error:" not in rendered(run_summary(RUN), 100)
