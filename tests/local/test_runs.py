"""Eval runs are scored off the event loop: other orgs keep being served meanwhile."""

from __future__ import annotations

import json

import httpx
import pytest

from pareta.local import LocalServer

from .helpers import wait_for_run

ROWS = 100_000


@pytest.mark.slow
def test_another_org_is_served_while_a_100k_row_run_is_scored() -> None:
    with LocalServer(eval_seconds_per_item=0, balance=10**12) as server:
        owner = httpx.Client(
            base_url=server.base_url,
            headers={"Authorization": f"Bearer {server.mint_key()}"},
            timeout=60,
        )
        other = httpx.Client(
            base_url=server.base_url,
            headers={"Authorization": f"Bearer {server.mint_key()}"},
            timeout=60,
        )
        with owner, other:
            row = json.dumps({"input": "I love it, works great", "expected": "positive"})
            items = ("\n".join([row] * ROWS)).encode()
            created = owner.post(
                "/v1/eval-sets",
                data={"task_id": "sentiment-analysis"},
                files={"items": ("items.jsonl", items)},
            )
            assert created.json()["eval_set"]["item_count"] == ROWS
            body = {
                "eval_set_id": created.json()["eval_set"]["id"],
                "candidate_model_ids": ["qwen-1", "gemma-1", "gpt-4o"],
            }
            started = owner.post("/v1/eval-runs", json=body)
            assert started.status_code == 200, started.text
            run_id = started.json()["run_id"]
            # Another org's request is answered while the run is still being scored.
            assert other.get("/v1/tasks").status_code == 200
            assert other.get("/v1/models").status_code == 200
            run = owner.get(f"/v1/eval-runs/{run_id}").json()["run"]
            assert run["status"] in ("running", "evaluating")
            assert run["completed_at"] is None
            # Its status moves as rows are scored.
            for _ in range(10_000):
                if owner.get(f"/v1/eval-runs/{run_id}").json()["run"]["status"] == "evaluating":
                    break
            assert owner.get(f"/v1/eval-runs/{run_id}").json()["run"]["status"] == "evaluating"
        # Stopping the server stops scoring at the run's next chunk of rows.
    assert server.state.work.closed


def test_a_scored_run_completes_and_a_restarted_server_scores_again(
    server: LocalServer,
) -> None:
    server.stop()
    server.start()
    headers = {"Authorization": f"Bearer {server.mint_key()}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
        row = json.dumps({"input": "terrible, broke in a day", "expected": "negative"})
        items = ("\n".join([row] * 3)).encode()
        created = client.post(
            "/v1/eval-sets",
            data={"task_id": "sentiment-analysis"},
            files={"items": ("items.jsonl", items)},
        ).json()["eval_set"]
        body = {"eval_set_id": created["id"], "candidate_model_ids": ["qwen-1"]}
        run_id = client.post("/v1/eval-runs", json=body).json()["run_id"]
        done = wait_for_run(client, run_id)
    assert done["run"]["status"] == "completed"
    assert done["results"][0]["n_succeeded"] == 3
