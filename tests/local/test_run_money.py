"""Eval runs reserve what they may cost, are queued fairly between orgs, and die with their org."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pareta.local import LocalServer

from .helpers import wait_for_run

ROW = {"input": "I love it, works great", "expected": "positive"}


def _client(server: LocalServer, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=60
    )


def _eval_set(client: httpx.Client, rows: int) -> str:
    items = "\n".join([json.dumps(ROW)] * rows).encode()
    created = client.post(
        "/v1/eval-sets",
        data={"task_id": "sentiment-analysis"},
        files={"items": ("items.jsonl", items)},
    )
    assert created.status_code == 200, created.text
    set_id: str = created.json()["eval_set"]["id"]
    return set_id


def _run(client: httpx.Client, set_id: str, models: list[str] | None = None) -> httpx.Response:
    body: dict[str, Any] = {"eval_set_id": set_id, "candidate_model_ids": models or ["qwen-1"]}
    return client.post("/v1/eval-runs", json=body)


@pytest.fixture(scope="module")
def queued() -> Iterator[LocalServer]:
    with LocalServer(eval_seconds_per_item=0, max_queued_runs=3, balance=10**12) as server:
        yield server


def test_a_run_the_balance_cannot_cover_is_402_at_creation(queued: LocalServer) -> None:
    key = queued.mint_key()
    queued.set_balance(1, api_key=key)
    with _client(queued, key) as client:
        set_id = _eval_set(client, 9_000)
        refused = [_run(client, set_id) for _ in range(30)]
        assert {r.status_code for r in refused} == {402}
        assert "Insufficient credits" in refused[0].json()["detail"]
        assert client.get("/v1/eval-runs/nope").status_code == 404
    assert queued.ledger(api_key=key) == []
    assert queued.balance(api_key=key) == 1


@pytest.mark.slow
def test_queued_runs_per_org_are_bounded_and_another_org_is_not_kept_waiting(
    queued: LocalServer,
) -> None:
    busy, other = queued.mint_key(), queued.mint_key()
    with _client(queued, busy) as heavy, _client(queued, other) as light:
        big = _eval_set(heavy, 9_000)
        runs = [_run(heavy, big) for _ in range(4)]
        assert [r.status_code for r in runs[:3]] == [200, 200, 200]
        assert runs[3].status_code == 429
        assert "--max-queued-runs" in runs[3].json()["detail"]
        small = _run(light, _eval_set(light, 6))
        assert small.status_code == 200
        done = wait_for_run(light, small.json()["run_id"])
        assert done["run"]["status"] == "completed"
        # The small run was served in its org's turn, not behind 27,000 rows of the other's.
        states = [heavy.get(f"/v1/eval-runs/{r.json()['run_id']}").json() for r in runs[:3]]
        assert [s["run"]["status"] for s in states].count("completed") < 3
        for run in runs[:3]:
            assert wait_for_run(heavy, run.json()["run_id"])["run"]["status"] == "completed"
        # Each run was charged what it cost; nothing stays reserved.
        balance = heavy.get("/admin/balance").json()
        assert balance["available_micro_usd"] == balance["balance_micro_usd"]
        charged = sum(e["amount_micro_usd"] for e in queued.ledger(api_key=busy))
        assert charged == 10**12 - balance["balance_micro_usd"]


def test_a_dropped_orgs_run_never_charges_it_and_its_key_opens_a_fresh_org() -> None:
    with LocalServer(eval_seconds_per_item=0, max_orgs=3) as server:
        key = server.mint_key()
        with _client(server, key) as client:
            set_id = _eval_set(client, 20_000)
            started = _run(client, set_id, ["qwen-1", "gemma-1"])
            assert started.status_code == 200
            run = server.state.org(key).runs[started.json()["run_id"]]
        for _ in range(3):  # new orgs: the idle one with the run is dropped
            server.mint_key()
        assert key not in {org.api_key for org in server.state.orgs()}
        # Wait until the dropped run has stopped at its next chunk; the deadline only
        # bounds a run that never stops.
        deadline = time.monotonic() + 60
        while not run.scored and time.monotonic() < deadline:
            time.sleep(0.001)
        assert run.scored and run.cancelled
        assert "cancelled" in (run.error_detail or "")
        with _client(server, key) as client:
            balance = client.get("/admin/balance").json()
            assert balance["balance_micro_usd"] == server.state.config.balance
            assert balance["available_micro_usd"] == server.state.config.balance
            assert client.get("/admin/ledger").json()["entries"] == []
            assert client.get(f"/v1/eval-runs/{run.id}").status_code == 404
