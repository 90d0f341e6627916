from __future__ import annotations

import httpx
import pytest

from .helpers import chat_body

DIMENSIONS = ("performance", "uptime", "cost", "quality", "activity")


def test_metrics_follow_traffic(client: httpx.Client) -> None:
    for i in range(5):
        client.post("/v1/chat/completions", json=chat_body("ep_contract_qwen", stream=i % 2 == 0))
    client.post("/v1/endpoints/ep_contract_qwen/stop")
    assert (
        client.post("/v1/chat/completions", json=chat_body("ep_contract_qwen")).status_code == 503
    )

    perf = client.get("/v1/endpoints/ep_contract_qwen/performance").json()
    assert perf["endpoint_id"] == "ep_contract_qwen"
    assert perf["window"] == "24h"
    assert perf["request_count"] == 6
    assert 0 < perf["p50_ms"] <= perf["p95_ms"] <= perf["p99_ms"]

    activity = client.get("/v1/endpoints/ep_contract_qwen/activity").json()
    assert activity["success_count"] == 5
    assert activity["error_count"] == 1
    assert activity["streamed_count"] == 3
    assert activity["total_tokens"] == activity["prompt_tokens"] + activity["completion_tokens"] > 0

    cost = client.get("/v1/endpoints/ep_contract_qwen/cost", params={"window": "7d"}).json()
    assert cost["total_micro_usd"] > 0
    assert cost["frontier_baseline_micro_usd"] > cost["total_micro_usd"]
    assert (
        cost["savings_micro_usd"] == cost["frontier_baseline_micro_usd"] - cost["total_micro_usd"]
    )
    assert cost["frontier_model"] == "gpt-4o"

    quality = client.get("/v1/endpoints/ep_contract_qwen/quality").json()
    assert 0 <= quality["quality_mean"] <= 1
    assert sum(w["n"] for w in quality["windows"]) == 5

    uptime = client.get("/v1/endpoints/ep_contract_qwen/uptime").json()
    assert uptime["current_status"] == "stopped"
    assert 0 < uptime["uptime_fraction"] <= 1
    assert uptime["transitions"][-1]["status"] == "stopped"


def test_group_by_buckets(client: httpx.Client) -> None:
    client.post("/v1/chat/completions", json=chat_body("ep_contract_kie_01"))
    series = client.get(
        "/v1/endpoints/ep_contract_kie_01/activity", params={"group_by": "hour", "window": "1h"}
    ).json()["series"]
    assert len(series) == 1
    assert series[0]["request_count"] == 1
    assert series[0]["end"] - series[0]["start"] == 3600
    daily = client.get("/v1/endpoints/ep_contract_kie_01/cost", params={"group_by": "day"}).json()
    assert daily["group_by"] == "day"
    assert daily["series"][0]["end"] - daily["series"][0]["start"] == 86400


@pytest.mark.parametrize("dimension", DIMENSIONS)
@pytest.mark.parametrize(
    "params", [{"window": "yesterday"}, {"window": "0h"}, {"window": "100d"}, {"group_by": "week"}]
)
def test_bad_parameters_are_422(
    client: httpx.Client, dimension: str, params: dict[str, str]
) -> None:
    response = client.get(f"/v1/endpoints/ep_contract_kie/{dimension}", params=params)
    assert response.status_code == 422
