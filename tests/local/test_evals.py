from __future__ import annotations

import random
from typing import Any

import httpx

from pareta.local.state import default_catalog

from .helpers import create_eval_set, wait_for_run


def test_run_goes_running_then_completed(client: httpx.Client) -> None:
    task = default_catalog().tasks["contract-key-fields"]
    rng = random.Random(3)
    rows = []
    for _ in range(30):
        text, expected = task.make_row(rng)
        rows.append({"input": text, "expected": expected})
    eval_set = create_eval_set(client, task.id, rows)
    body = {
        "eval_set_id": eval_set["id"],
        "candidate_model_ids": ["contract-kie-1", "mistral-2", "claude-sonnet-4"],
    }
    created = client.post("/v1/eval-runs", json=body).json()
    assert created["status"] == "running"
    seen = set()
    while (
        status := client.get(f"/v1/eval-runs/{created['run_id']}").json()["run"]["status"]
    ) not in (
        "completed",
        "failed",
    ):
        seen.add(status)
    assert status == "completed"
    assert seen <= {"running", "evaluating"}
    result = wait_for_run(client, created["run_id"])
    by_model = {r["model_id"]: r for r in result["results"]}
    strong, weak = by_model["contract-kie-1"], by_model["mistral-2"]
    assert strong["quality_mean"] > weak["quality_mean"]
    for r in result["results"]:
        assert r["n_succeeded"] == 30
        assert r["error_count"] == 0
        assert 0 <= r["quality_ci_low"] <= r["quality_mean"] <= r["quality_ci_high"] <= 1
    assert by_model["claude-sonnet-4"]["kind"] == "frontier"
    assert by_model["claude-sonnet-4"]["mean_cost_micro_usd"] > strong["mean_cost_micro_usd"]
    assert result["run"]["cost_micro_usd"] == sum(r["cost_micro_usd"] for r in result["results"])
    for r in result["results"]:
        assert abs(r["mean_cost_micro_usd"] * 30 - r["cost_micro_usd"]) <= 15  # a rounded mean


def test_unknown_model_fails_the_run_without_billing(client: httpx.Client) -> None:
    eval_set = create_eval_set(
        client, "sentiment-analysis", [{"input": "I love it", "expected": {"label": "positive"}}]
    )
    body = {"eval_set_id": eval_set["id"], "candidate_model_ids": ["qwen-1", "gpt-99"]}
    created = client.post("/v1/eval-runs", json=body).json()
    assert created["status"] == "running"
    result = wait_for_run(client, created["run_id"])
    assert result["run"]["status"] == "failed"
    assert "gpt-99" in result["run"]["error_detail"]
    assert result["results"] == []
    assert result["run"]["cost_micro_usd"] == 0
    assert client.get("/admin/ledger").json()["entries"] == []


def test_rows_without_expected_count_as_errors(client: httpx.Client) -> None:
    rows = [{"input": "great product, love it", "expected": "positive"}, {"input": "no label"}]
    eval_set = create_eval_set(client, "sentiment-analysis", rows)
    run_id = client.post(
        "/v1/eval-runs", json={"eval_set_id": eval_set["id"], "candidate_model_ids": ["qwen-1"]}
    ).json()["run_id"]
    (result,) = wait_for_run(client, run_id)["results"]
    assert result["n_succeeded"] == 1
    assert result["error_count"] == 1


def test_text_rows_without_input_count_as_errors(client: httpx.Client) -> None:
    rows: list[dict[str, Any]] = [
        {"input": "great product, love it", "expected": "positive"},
        {"expected": "negative"},
        {"input": {"review": "awful, broke in a day"}, "expected": "negative"},
    ]
    eval_set = create_eval_set(client, "sentiment-analysis", rows)
    run_id = client.post(
        "/v1/eval-runs", json={"eval_set_id": eval_set["id"], "candidate_model_ids": ["qwen-1"]}
    ).json()["run_id"]
    (result,) = wait_for_run(client, run_id)["results"]
    assert result["n_succeeded"] == 2  # a JSON input is read as its text
    assert result["error_count"] == 1
