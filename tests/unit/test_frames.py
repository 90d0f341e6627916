"""Response objects as pandas DataFrames and as the HTML tables a notebook shows."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pandas as pd
import pytest

from pareta import (
    EvalRun,
    Leaderboard,
    MetricReport,
    MissingDependencyError,
    ModelList,
    ParetaError,
)

BOARD = Leaderboard(
    {
        "task_id": "contract-key-fields",
        "recommended": "contract-kie-1",
        "models": [
            {
                "name": "contract-1",
                "kind": "open",
                "quality": 0.955,
                "cost_per_request_micro_usd": 70,
                "context_k": 32,
                "run_mode": "serverless",
            },
            {
                "name": "contract-kie-1",
                "kind": "open",
                "quality": 0.948,
                "cost_per_request_micro_usd": 74,
                "context_k": 32,
                "run_mode": "dedicated",
            },
            {"name": "<no cost>", "kind": "open", "quality": 0.5},
        ],
        "frontier": {
            "name": "gpt-4o",
            "kind": "frontier",
            "quality": 0.968,
            "cost_per_request_micro_usd": 875,
            "context_k": 128,
            "run_mode": "api",
        },
    }
)


def result(model: str, kind: str, quality: float | None, cost: int | None) -> dict[str, Any]:
    return {
        "model_id": model,
        "kind": kind,
        "quality_mean": quality,
        "quality_ci_low": None if quality is None else quality - 0.05,
        "quality_ci_high": None if quality is None else min(quality + 0.05, 1.0),
        "mean_cost_micro_usd": cost,
        "n_succeeded": 0 if quality is None else 8,
        "error_count": 8 if quality is None else 0,
    }


RUN = EvalRun(
    {
        "run": {"id": "run_1", "status": "completed"},
        "results": [
            result("contract-1", "open", 0.95, 70),
            result("qwen-1", "open", 0.92, 66),
            result("broken-1", "open", None, None),
            result("gpt-4o", "frontier", 0.97, 875),
            result("mistral-large", "frontier", 0.87, 500),
        ],
    }
)


def dtypes(frame: pd.DataFrame) -> dict[str, str]:
    return {str(name): str(dtype) for name, dtype in frame.dtypes.items()}


def test_a_leaderboard_frame_has_a_row_per_entry_and_typed_columns() -> None:
    frame = BOARD.to_pandas()
    assert dtypes(frame) == {
        "name": "string",
        "kind": "string",
        "quality": "float64",
        "cost_per_request_micro_usd": "Int64",
        "cost_per_request_usd": "float64",
        "savings": "float64",
        "context_k": "Int64",
        "run_mode": "string",
        "on_front": "boolean",
        "recommended": "boolean",
    }
    assert list(frame["name"]) == ["contract-1", "contract-kie-1", "<no cost>", "gpt-4o"]
    assert list(frame["on_front"]) == [True, False, False, True]
    assert list(frame["recommended"]) == [False, True, False, False]
    first = frame.iloc[0]
    assert first["cost_per_request_usd"] == pytest.approx(0.00007)
    assert first["savings"] == pytest.approx(1 - 70 / 875)
    assert frame.iloc[3]["savings"] == 0.0  # the baseline saves nothing on itself
    missing = frame.iloc[2]
    assert missing["cost_per_request_micro_usd"] is pd.NA
    assert pd.isna(missing["savings"])
    assert pd.isna(missing["cost_per_request_usd"])


def test_an_eval_run_frame_has_a_row_per_model_with_intervals_and_savings() -> None:
    frame = RUN.to_pandas()
    assert dtypes(frame) == {
        "model_id": "string",
        "kind": "string",
        "quality_mean": "float64",
        "quality_ci_low": "float64",
        "quality_ci_high": "float64",
        "mean_cost_micro_usd": "Int64",
        "cost_per_item_usd": "float64",
        "savings": "float64",
        "n_succeeded": "Int64",
        "error_count": "Int64",
        "on_front": "boolean",
        "winner": "boolean",
    }
    rows = frame.set_index("model_id")
    assert list(rows.index) == ["contract-1", "qwen-1", "broken-1", "gpt-4o", "mistral-large"]
    # Savings are against the best frontier model (gpt-4o), as the CLI's "saves" column.
    assert rows.loc["qwen-1", "savings"] == pytest.approx(1 - 66 / 875)
    assert rows.loc["mistral-large", "savings"] == pytest.approx(1 - 500 / 875)
    assert rows.loc["contract-1", "quality_ci_low"] == pytest.approx(0.90)
    assert list(rows["on_front"]) == [True, True, False, True, False]
    assert list(rows["winner"]) == [True, False, False, False, False]
    assert pd.isna(rows.loc["broken-1", "quality_mean"])
    assert rows.loc["broken-1", "error_count"] == 8


def test_a_model_list_frame_has_creation_times_in_utc() -> None:
    models = ModelList(
        {"data": [{"id": "ep_1", "owned_by": "pareta", "created": 1_767_225_600}, {"id": "ep_2"}]}
    )
    frame = models.to_pandas()
    assert list(frame.columns) == ["id", "owned_by", "created"]
    assert str(frame["owned_by"].dtype) == "string"
    created = frame["created"]
    assert isinstance(created.dtype, pd.DatetimeTZDtype)
    assert str(created.dtype.tz) == "UTC"
    assert created[0] == pd.Timestamp("2026-01-01", tz="UTC")
    assert pd.isna(created[1])


def test_an_empty_object_still_has_its_columns() -> None:
    frame = EvalRun({"run_id": "run_1", "status": "queued"}).to_pandas()
    assert len(frame) == 0
    assert "quality_ci_high" in frame.columns
    assert str(frame["mean_cost_micro_usd"].dtype) == "Int64"


COST = {
    "endpoint_id": "ep_1",
    "dimension": "cost",
    "window": "24h",
    "window_start": 1_767_225_600.0004,
    "window_end": 1_767_312_000.25,
    "group_by": None,
    "request_count": 3,
    "total_micro_usd": 63,
    "savings_fraction": 0.9,
    "frontier_model": "gpt-4o",
}


def test_a_metric_summary_is_one_row_with_utc_times() -> None:
    report = MetricReport(COST)
    assert report == COST
    assert isinstance(report, dict)
    frame = report.to_pandas()
    assert len(frame) == 1
    assert dtypes(frame)["request_count"] == "Int64"
    assert dtypes(frame)["savings_fraction"] == "float64"
    assert dtypes(frame)["frontier_model"] == "string"
    assert dtypes(frame)["group_by"] == "object"
    # Whole milliseconds: the float's noise below that is dropped.
    assert frame["window_start"][0] == pd.Timestamp("2026-01-01", tz="UTC")
    assert frame["window_end"][0] == pd.Timestamp("2026-01-02 00:00:00.250", tz="UTC")


def test_a_grouped_metric_is_one_row_per_bucket() -> None:
    report = MetricReport(
        {
            **COST,
            "group_by": "hour",
            "series": [
                {"start": 1_767_225_600, "end": 1_767_229_200, "total_micro_usd": 21},
                {"start": 1_767_229_200, "end": 1_767_232_800, "total_micro_usd": 42.5},
                "not a bucket",
            ],
        }
    )
    frame = report.to_pandas()
    assert list(frame.columns) == ["endpoint_id", "dimension", "start", "end", "total_micro_usd"]
    assert list(frame["total_micro_usd"]) == [21.0, 42.5]
    assert str(frame["total_micro_usd"].dtype) == "float64"
    assert frame["end"][1] == pd.Timestamp("2026-01-01 02:00", tz="UTC")
    assert set(frame["endpoint_id"]) == {"ep_1"}


def test_a_metric_with_mixed_or_boolean_values_keeps_them() -> None:
    frame = MetricReport({"ok": True, "mixed": [1], "odd": 1, "flag": None}).to_pandas()
    assert dtypes(frame) == {"ok": "boolean", "odd": "Int64", "flag": "object"}
    mixed = MetricReport({"windows": [{"v": "a"}, {"v": 1}]}).to_pandas()
    assert str(mixed["v"].dtype) == "object"


def test_notebooks_show_html_tables_with_the_values_escaped() -> None:
    board = BOARD._repr_html_()
    assert board.startswith('<table class="pareta"><caption>Leaderboard: contract-key-fields')
    assert "<th>cost_per_request_usd</th>" in board
    assert "<td>&lt;no cost&gt;</td>" in board
    assert "<td>$0.000070</td>" in board
    assert "<td>92%</td>" in board
    run = RUN._repr_html_()
    assert "<caption>Eval run run_1: completed</caption>" in run
    assert "<td>0.95</td><td>0.9</td><td>1</td>" in run
    assert "<td>yes</td>" in run
    assert "<td>no</td>" in run
    models = ModelList({"data": [{"id": "ep_1", "created": 1_767_225_600}]})._repr_html_()
    assert "<td>2026-01-01 00:00:00 UTC</td>" in models
    assert "<caption>cost of ep_1</caption>" in MetricReport(COST)._repr_html_()


def test_without_pandas_to_pandas_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingDependencyError) as caught:
        BOARD.to_pandas()
    assert str(caught.value) == 'to_pandas() needs pandas: pip install "pareta[pandas]"'
    assert isinstance(caught.value, ParetaError)
    assert isinstance(caught.value, ImportError)
    assert caught.value.name == "pandas"
    assert "<table" in BOARD._repr_html_()  # a notebook view needs no pandas


OPTIONAL_IMPORTS = """
import sys
import pareta
print(sorted(m for m in ("pandas", "matplotlib", "plotext", "numpy") if m in sys.modules))
"""


def test_import_pareta_imports_no_frame_or_plotting_library() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", OPTIONAL_IMPORTS], capture_output=True, text=True, check=True
    )
    assert loaded.stdout == "[]\n"
