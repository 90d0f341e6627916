from __future__ import annotations

from collections.abc import Generator
from typing import cast

import httpx
import pytest

from pareta.local import LocalServer, idempotency

from .helpers import CONTRACT, SEED_RUN_ID, chat_body, create_eval_set, wait_for_run


def test_each_completion_is_one_debit(
    server: LocalServer, client: httpx.Client, api_key: str
) -> None:
    start = server.balance(api_key=api_key)
    first = client.post("/v1/chat/completions", json=chat_body())
    client.post("/v1/chat/completions", json=chat_body(stream=True))
    ledger = server.ledger(api_key=api_key)
    assert [e["kind"] for e in ledger] == ["chat.completion", "chat.completion"]
    assert ledger[0]["request_id"] == first.headers["x-request-id"]
    assert ledger[0]["detail"]["endpoint_id"] == "ep_contract_kie"
    spent = sum(e["amount_micro_usd"] for e in ledger)
    assert spent > 0
    assert server.balance(api_key=api_key) == start - spent
    assert ledger[-1]["balance_after_micro_usd"] == start - spent


def test_admin_routes_read_and_set_balance(client: httpx.Client) -> None:
    assert client.put("/admin/balance", json={"balance_micro_usd": 1234}).status_code == 200
    body = client.get("/admin/balance").json()
    assert body["balance_micro_usd"] == 1234
    assert body["available_micro_usd"] == 1234
    client.post("/v1/chat/completions", json=chat_body())
    entries = client.get("/admin/ledger").json()["entries"]
    assert len(entries) == 1
    assert entries[0]["amount_micro_usd"] > 0


def test_balance_runs_out_then_402(server: LocalServer, client: httpx.Client, api_key: str) -> None:
    price = client.post("/v1/chat/completions", json=chat_body()).json()
    cost = server.ledger(api_key=api_key)[0]["amount_micro_usd"]
    assert price["usage"]["total_tokens"] > 0
    server.set_balance(cost, api_key=api_key)
    assert client.post("/v1/chat/completions", json=chat_body()).status_code == 200
    assert client.post("/v1/chat/completions", json=chat_body()).status_code == 402
    assert server.balance(api_key=api_key) == 0


def test_idempotent_replay_is_not_billed(
    server: LocalServer, client: httpx.Client, api_key: str
) -> None:
    headers = {"Idempotency-Key": "chat-1"}
    first = client.post("/v1/chat/completions", json=chat_body(), headers=headers)
    again = client.post("/v1/chat/completions", json=chat_body(), headers=headers)
    assert again.status_code == first.status_code == 200
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    ledger = server.ledger(api_key=api_key)
    assert len(ledger) == 1
    assert ledger[0]["idempotency_key"] == "chat-1"


def test_idempotent_stream_replay(server: LocalServer, client: httpx.Client, api_key: str) -> None:
    headers = {"Idempotency-Key": "stream-1"}
    first = client.post("/v1/chat/completions", json=chat_body(stream=True), headers=headers)
    again = client.post("/v1/chat/completions", json=chat_body(stream=True), headers=headers)
    assert again.text == first.text
    assert again.text.endswith("data: [DONE]\n\n")
    assert again.headers["content-type"].startswith("text/event-stream")
    assert len(server.ledger(api_key=api_key)) == 1


def test_keys_are_per_org_and_per_request(server: LocalServer, client: httpx.Client) -> None:
    headers = {"Idempotency-Key": "shared"}
    client.post("/v1/chat/completions", json=chat_body(), headers=headers)
    changed = client.post("/v1/chat/completions", json=chat_body(content="other"), headers=headers)
    assert changed.status_code == 422
    other = {"Authorization": f"Bearer {server.mint_key()}", **headers}
    fresh = httpx.post(f"{server.base_url}/v1/chat/completions", json=chat_body(), headers=other)
    assert fresh.status_code == 200
    assert "idempotent-replayed" not in fresh.headers


def test_errors_are_not_remembered(server: LocalServer, client: httpx.Client, api_key: str) -> None:
    headers = {"Idempotency-Key": "after-topup"}
    server.set_balance(0, api_key=api_key)
    assert client.post("/v1/chat/completions", json=chat_body(), headers=headers).status_code == 402
    server.set_balance(1_000_000, api_key=api_key)
    retried = client.post("/v1/chat/completions", json=chat_body(), headers=headers)
    assert retried.status_code == 200
    assert "idempotent-replayed" not in retried.headers


@pytest.mark.slow
def test_concurrent_duplicate_gets_409() -> None:
    with LocalServer(deploy_seconds=30) as server:
        headers = {"Authorization": f"Bearer {server.api_key}", "Idempotency-Key": "deploy-1"}
        body = {"task": "contract-key-fields"}
        with (
            httpx.Client(base_url=server.base_url, headers=headers) as c,
            c.stream("POST", "/v1/endpoints", json=body) as first,
        ):
            lines = cast(Generator[str, None, None], first.iter_lines())
            # Reading one event proves the first deploy is inside the server.
            assert next(lines).startswith("event: progress")
            twin = c.post("/v1/endpoints", json=body)
            assert twin.status_code == 409
            assert "in progress" in twin.json()["detail"]
            lines.close()


def test_eval_runs_are_metered(server: LocalServer, client: httpx.Client, api_key: str) -> None:
    rows = [{"input": CONTRACT, "expected": {"effective_date": "2026-01-01"}}] * 5
    eval_set = create_eval_set(client, "contract-key-fields", rows)
    body = {"eval_set_id": eval_set["id"], "candidate_model_ids": ["qwen-1", "gpt-4o"]}
    run_id = client.post("/v1/eval-runs", json=body).json()["run_id"]
    run = wait_for_run(client, run_id)["run"]
    (entry,) = server.ledger(api_key=api_key)
    assert entry["kind"] == "eval.run"
    assert entry["detail"]["run_id"] == run_id
    assert entry["amount_micro_usd"] == run["cost_micro_usd"] > 0
    # The run reserves its estimated cost at creation: a balance short of it is a 402,
    # before anything is scored or charged.
    server.set_balance(run["cost_micro_usd"] - 1, api_key=api_key)
    short = client.post("/v1/eval-runs", json=body)
    assert short.status_code == 402
    assert "Insufficient credits" in short.json()["detail"]
    assert len(server.ledger(api_key=api_key)) == 1
    # Once scored it is charged what it cost, and the rest of the reservation is released.
    server.set_balance(10 * run["cost_micro_usd"], api_key=api_key)
    again = client.post("/v1/eval-runs", json=body).json()["run_id"]
    wait_for_run(client, again)
    assert server.balance(api_key=api_key) == 9 * run["cost_micro_usd"]
    balance = client.get("/admin/balance").json()
    assert balance["available_micro_usd"] == balance["balance_micro_usd"]
    server.set_balance(0, api_key=api_key)
    refused = client.post("/v1/eval-runs", json=body)
    assert refused.status_code == 402


def test_undelivered_eval_run_is_forgotten_and_unbilled(
    server: LocalServer, client: httpx.Client, api_key: str
) -> None:
    rows = [{"input": CONTRACT, "expected": {"effective_date": "2026-01-01"}}]
    eval_set = create_eval_set(client, "contract-key-fields", rows)
    body = {"eval_set_id": eval_set["id"], "candidate_model_ids": ["qwen-1"]}
    server.inject_fault("POST /v1/eval-runs drop_after=0 count=1")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.post("/v1/eval-runs", json=body)
    runs = server.state.org(api_key).runs
    assert list(runs) == [SEED_RUN_ID]
    assert server.ledger(api_key=api_key) == []
    run_id = client.post("/v1/eval-runs", json=body).json()["run_id"]
    assert list(runs) == [SEED_RUN_ID, run_id]
    assert wait_for_run(client, run_id)["run"]["status"] == "completed"
    assert len(server.ledger(api_key=api_key)) == 1


def test_store_forgets_the_oldest_answers_beyond_its_limit() -> None:
    store = idempotency.IdempotencyStore(ttl=3600, max_keys=2)
    answer = idempotency.Recorded("fp", 200, (), (b"{}",), store.clock())
    keys = [("pareta_sk_a", f"k{i}") for i in range(3)]
    for key in keys:
        assert store.begin(key) is None
        store.finish(key, answer)
    assert store.begin(keys[0]) is None  # evicted: the key is free again
    assert store.begin(keys[1]) == answer
    assert store.begin(keys[2]) == answer
    assert store.begin(keys[0]) is True  # and now in flight
    # The bound is per org: another org's keys evict nothing of this one's.
    store.finish(("pareta_sk_b", "k1"), answer)
    assert store.begin(keys[2]) == answer
    assert store.count("pareta_sk_a") == 2


def test_store_forgets_answers_older_than_its_retention() -> None:
    now = [1000.0]
    store = idempotency.IdempotencyStore(ttl=60, max_keys=100, clock=lambda: now[0])
    key = ("pareta_sk_a", "k")
    assert store.begin(key) is None
    store.finish(key, idempotency.Recorded("fp", 200, (), (b"{}",), now[0]))
    now[0] += 59
    assert isinstance(store.begin(key), idempotency.Recorded)
    now[0] += 2
    assert store.begin(key) is None  # expired: a retry now runs for real
    assert store.count("pareta_sk_a") == 0


def test_an_answer_lost_on_its_way_frees_its_idempotency_key(
    server: LocalServer, client: httpx.Client, api_key: str
) -> None:
    headers = {"Idempotency-Key": "lost-once"}
    body = {"query": "extract key fields from contracts"}
    server.inject_fault("POST /v1/tasks/match drop_after=0 count=1", api_key=api_key)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.post("/v1/tasks/match", json=body, headers=headers)
    served = client.post("/v1/tasks/match", json=body, headers=headers)
    assert served.status_code == 200
    assert "idempotent-replayed" not in served.headers
    again = client.post("/v1/tasks/match", json=body, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
