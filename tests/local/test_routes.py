from __future__ import annotations

import base64
import json

import httpx
import pytest

from pareta.local import LocalServer

from .helpers import (
    CONTRACT,
    SEED_SET,
    chat_body,
    create_eval_set,
    sse_events,
    stream_chunks,
    wait_for_run,
)


def test_models_lists_only_live_endpoints(client: httpx.Client) -> None:
    client.post("/v1/endpoints/ep_contract_qwen/stop")
    body = client.get("/v1/models").json()
    assert body["object"] == "list"
    ids = {m["id"] for m in body["data"]}
    assert "ep_contract_kie" in ids
    assert "ep_contract_qwen" not in ids
    assert all(set(m) == {"id", "object", "owned_by", "created"} for m in body["data"])
    assert all(m["object"] == "model" and m["owned_by"] == "pareta" for m in body["data"])


def test_chat_completion_extracts_fields(client: httpx.Client) -> None:
    response = client.post("/v1/chat/completions", json=chat_body())
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["model"] == "ep_contract_kie"
    assert body["id"].startswith("chatcmpl-")
    choice = body["choices"][0]
    assert choice["index"] == 0
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    fields = json.loads(choice["message"]["content"])
    assert fields["effective_date"] == "2026-01-01"
    assert fields["parties"] == ["Acme Corp", "Globex LLC"]
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


def test_chat_stream_is_data_only_sse_with_usage_and_done(client: httpx.Client) -> None:
    response = client.post("/v1/chat/completions", json=chat_body(stream=True))
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    assert all(name is None for name, _ in events)
    assert events[-1][1] == "[DONE]"
    chunks = stream_chunks(response.text)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert json.loads(text)["termination_date"] == "2027-12-31"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["total_tokens"] > 0


def test_chat_accepts_task_alias_and_max_tokens(client: httpx.Client) -> None:
    body = client.post(
        "/v1/chat/completions",
        json=chat_body("contract-key-fields/qwen-1", max_tokens=3),
    ).json()
    assert body["model"] == "contract-key-fields/qwen-1"
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 3
    assert client.post("/v1/chat/completions", json=chat_body("llama-1")).status_code == 200


def test_deploy_streams_progress_then_complete(client: httpx.Client) -> None:
    response = client.post("/v1/endpoints", json={"task": "contract-key-fields"})
    events = sse_events(response.text)
    progress = [json.loads(d) for name, d in events if name == "progress"]
    assert len(progress) >= 3
    assert [p["pct"] for p in progress] == sorted(p["pct"] for p in progress)
    assert all({"stage", "pct"} <= set(p) for p in progress)
    name, data = events[-1]
    assert name == "complete"
    endpoint = json.loads(data)["endpoint"]
    leaderboard = client.get("/v1/tasks/contract-key-fields/leaderboard").json()
    assert endpoint["model"] == leaderboard["recommended"]
    assert endpoint["status"] == "live"
    assert endpoint["url"].endswith("/v1")
    assert endpoint["id"] == endpoint["name"]
    assert client.get(f"/v1/endpoints/{endpoint['id']}").json()["status"] == "live"


def test_deploy_named_with_alias_and_passthrough_fields(client: httpx.Client) -> None:
    body = {
        "task": "invoice-extraction",
        "model": "internvl-1",
        "name": "invoices-prod",
        "region": "eu",
        "cost_per_request_micro_usd": 12,
    }
    events = sse_events(client.post("/v1/endpoints", json=body).text)
    endpoint = json.loads(events[-1][1])["endpoint"]
    assert endpoint["id"] == "invoices-prod"
    assert endpoint["model"] == "internvl-1"
    assert endpoint["region"] == "eu"
    assert endpoint["cost_per_request_micro_usd"] == 12
    duplicate = client.post("/v1/endpoints", json=body)
    assert duplicate.status_code == 409


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"task": "no-such-task"}, "no-such-task"),
        ({"task": "contract-key-fields", "model": "gpt-99"}, "gpt-99"),
    ],
)
def test_deploy_error_event(client: httpx.Client, body: dict[str, str], needle: str) -> None:
    events = sse_events(client.post("/v1/endpoints", json=body).text)
    assert [name for name, _ in events] == ["error"]
    assert needle in json.loads(events[0][1])["message"]


def test_endpoint_lifecycle(server: LocalServer, client: httpx.Client) -> None:
    client.post("/v1/endpoints", json={"task": "contract-key-fields", "name": "lifecycle"})
    listed = client.get("/v1/endpoints").json()
    assert isinstance(listed, list)
    assert "lifecycle" in {e["id"] for e in listed}
    stopped = client.post("/v1/endpoints/lifecycle/stop").json()
    assert stopped == {"id": "lifecycle", "status": "stopped", "previous_status": "live"}
    assert client.get("/v1/endpoints/lifecycle").json()["url"] is None
    not_ready = client.post("/v1/chat/completions", json=chat_body("lifecycle"))
    assert not_ready.status_code == 503
    started = client.post("/v1/endpoints/lifecycle/start").json()
    assert started["status"] == "starting"
    cold = client.post("/v1/chat/completions", json=chat_body("lifecycle"))
    assert cold.status_code == 503
    assert cold.headers["retry-after"] == "1"
    while client.get("/v1/endpoints/lifecycle").json()["status"] != "live":
        pass
    again = client.post("/v1/endpoints/lifecycle/start").json()
    assert again == {"id": "lifecycle", "status": "live", "previous_status": "live"}
    assert client.post("/v1/chat/completions", json=chat_body("lifecycle")).status_code == 200
    deleted = client.delete("/v1/endpoints/lifecycle")
    assert deleted.status_code == 200
    assert deleted.json()["deleted"] is True
    assert client.get("/v1/endpoints/lifecycle").status_code == 404


def test_seed_endpoints_exist_and_only_those_the_docs_delete_can_go(
    server: LocalServer, client: httpx.Client
) -> None:
    kept = [
        "ep_invoice_xtract",
        "ep_invoice_extract",
        "ep_contract_kie_01",
        "ep_contract_qwen",
        "ep_contract_kie_qwen",
    ]
    deletable = ["ep_contract_kie", "ep_a1b2c3"]
    for seed in kept + deletable:
        endpoint = client.get(f"/v1/endpoints/{seed}").json()
        assert endpoint["status"] == "live", seed
    for seed in kept:
        assert client.delete(f"/v1/endpoints/{seed}").status_code == 409
    for seed in deletable:
        assert client.delete(f"/v1/endpoints/{seed}").status_code == 200
        assert client.get(f"/v1/endpoints/{seed}").status_code == 404
    # Each org has its own seeds: another org still finds them.
    other = {"Authorization": f"Bearer {server.mint_key()}"}
    for seed in deletable:
        assert client.get(f"/v1/endpoints/{seed}", headers=other).json()["status"] == "live"


def test_the_documented_eval_set_and_run_ids_are_seeded(client: httpx.Client) -> None:
    eval_set = client.get("/v1/eval-sets/evset_123").json()["eval_set"]
    assert eval_set["task_id"] == "contract-key-fields"
    assert eval_set["item_count"] == 3
    body = client.get("/v1/eval-runs/run_456").json()
    run, results = body["run"], body["results"]
    assert run["status"] == "completed"
    assert run["eval_set_id"] == "evset_123"
    assert [r["model_id"] for r in results] == ["contract-kie-1", "contract-kie-2"]
    assert all(r["n_succeeded"] == 3 for r in results)
    assert run["cost_micro_usd"] == sum(r["cost_micro_usd"] for r in results) > 0
    assert client.delete("/v1/eval-sets/evset_123").status_code == 200
    assert client.get("/v1/eval-sets/evset_123").status_code == 404


def test_tasks_list_and_retrieve_with_examples(client: httpx.Client) -> None:
    tasks = client.get("/v1/tasks").json()["tasks"]
    assert {"id", "default_scorer", "has_blob_input", "scoring_strategy"} <= set(tasks[0])
    task = client.get("/v1/tasks/contract-key-fields", params={"examples_n": 3}).json()
    assert task["id"] == "contract-key-fields"
    assert task["has_blob_input"] is False
    assert len(task["examples"]) == 3
    assert {"input", "expected"} <= set(task["examples"][0])
    assert "examples" not in client.get("/v1/tasks/contract-key-fields").json()
    doc = client.get("/v1/tasks/invoice-extraction", params={"examples_n": 1}).json()
    assert doc["has_blob_input"] is True
    assert doc["examples"][0]["document"] is None


def test_eval_set_crud(client: httpx.Client) -> None:
    rows = [{"input": CONTRACT, "expected": {"effective_date": "2026-01-01"}}] * 3
    created = create_eval_set(client, "contract-key-fields", rows, name="Q2 contracts")
    assert created["id"].startswith("es_")
    assert created["task_id"] == "contract-key-fields"
    assert created["name"] == "Q2 contracts"
    assert created["item_count"] == 3
    assert created["scoring_strategy"] == "extraction"
    assert client.get(f"/v1/eval-sets/{created['id']}").json()["eval_set"] == created
    listed = client.get("/v1/eval-sets").json()["eval_sets"]
    assert [s["id"] for s in listed] == [SEED_SET, created["id"]]
    assert client.delete(f"/v1/eval-sets/{created['id']}").status_code == 200
    assert client.get(f"/v1/eval-sets/{created['id']}").status_code == 404


def test_eval_run_shape(client: httpx.Client) -> None:
    rows = [{"input": CONTRACT, "expected": {"effective_date": "2026-01-01"}}] * 4
    eval_set = create_eval_set(client, "contract-key-fields", rows)
    created = client.post(
        "/v1/eval-runs",
        json={"eval_set_id": eval_set["id"], "candidate_model_ids": ["llama-1", "gpt-4o"]},
    ).json()
    assert created["status"] == "running"
    assert created["run_id"].startswith("run_")
    body = wait_for_run(client, created["run_id"])
    run = body["run"]
    assert run["id"] == created["run_id"]
    assert run["status"] == "completed"
    assert run["eval_set_id"] == eval_set["id"]
    assert run["task_id"] == "contract-key-fields"
    assert run["candidate_models"] == ["llama-1", "gpt-4o"]
    assert run["error_detail"] is None
    kinds = {r["model_id"]: r["kind"] for r in body["results"]}
    assert kinds == {"llama-1": "open", "gpt-4o": "frontier"}
    keys = {
        "model_id",
        "kind",
        "quality_mean",
        "quality_ci_low",
        "quality_ci_high",
        "mean_cost_micro_usd",
        "n_succeeded",
        "error_count",
    }
    assert all(keys <= set(r) for r in body["results"])
    assert run["cost_micro_usd"] == sum(r["cost_micro_usd"] for r in body["results"])


def test_every_response_has_a_request_id(server: LocalServer, client: httpx.Client) -> None:
    responses = [
        client.get("/v1/models"),
        client.get("/v1/tasks"),
        client.get("/v1/nope"),
        client.post("/v1/chat/completions", json={}),
        client.get("/v1/endpoints/ep_missing"),
        httpx.get(f"{server.base_url}/v1/models"),
        client.post("/v1/chat/completions", json=chat_body(stream=True)),
        client.post("/v1/endpoints", json={"task": "contract-key-fields"}),
    ]
    ids = [r.headers.get("x-request-id", "") for r in responses]
    assert all(i.startswith("req_") for i in ids), ids
    assert len(set(ids)) == len(ids)


PDF_INVOICE = b"%PDF-1.4\nBT (Katana ML) Tj ET\nBT (INVOICE) Tj ET\nBT (Total due: $1,240.00) Tj ET"


def _parts_body(
    *parts: object, model: str = "invoice-extraction/qwen2.5-vl-1"
) -> dict[str, object]:
    return {"model": model, "messages": [{"role": "user", "content": list(parts)}]}


def test_chat_reads_documents_from_data_urls(client: httpx.Client) -> None:
    data_url = "data:application/pdf;base64," + base64.b64encode(PDF_INVOICE).decode()
    question = {"type": "text", "text": "What is the invoice total?"}
    for part in (
        {"type": "image_url", "image_url": {"url": data_url}},
        {"type": "file", "file": {"file_data": data_url}},
    ):
        body = client.post("/v1/chat/completions", json=_parts_body(question, part)).json()
        assert json.loads(body["choices"][0]["message"]["content"])["total"] == "1240.00"
    # A remote URL is counted as a document, but holds nothing the model can read.
    remote = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    with_remote = client.post("/v1/chat/completions", json=_parts_body(question, remote)).json()
    text_only = client.post("/v1/chat/completions", json=_parts_body(question)).json()
    assert "total" not in json.loads(with_remote["choices"][0]["message"]["content"])
    assert with_remote["usage"]["prompt_tokens"] > text_only["usage"]["prompt_tokens"]
    # Parts of other types are ignored.
    audio = {"type": "input_audio", "input_audio": {"data": "AAAA"}}
    same = client.post("/v1/chat/completions", json=_parts_body(question, audio)).json()
    assert same["usage"] == text_only["usage"]


def test_chat_ignores_assistant_turns(client: httpx.Client) -> None:
    turns = [
        {"role": "system", "content": None},
        {"role": "assistant", "content": "Agreement between Foo Inc and Bar LLC."},
        {"role": "user", "content": CONTRACT},
    ]
    body = {"model": "ep_contract_kie", "messages": turns}
    with_history = client.post("/v1/chat/completions", json=body).json()
    plain = client.post("/v1/chat/completions", json=chat_body()).json()
    assert with_history["choices"] == plain["choices"]
    assert with_history["usage"] == plain["usage"]


@pytest.mark.parametrize(
    ("content", "loc", "msg"),
    [
        (["just a string"], ["body", "messages", 0, "content", 0], "content parts must be objects"),
        (
            [{"type": "image_url", "image_url": {"url": "data:application/pdf;base64,abc"}}],
            ["body", "messages", 0, "content", 0],
            "image data URL is not valid base64",
        ),
        (42, ["body", "messages", 0, "content"], "content must be a string or a list"),
    ],
)
def test_chat_rejects_malformed_content(
    client: httpx.Client, content: object, loc: list[object], msg: str
) -> None:
    body = {"model": "ep_contract_kie", "messages": [{"role": "user", "content": content}]}
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == loc
    assert error["msg"] == msg


def test_task_alias_that_does_not_exist_is_404(client: httpx.Client) -> None:
    response = client.post("/v1/chat/completions", json=chat_body("contract-key-fields/nope-9"))
    assert response.status_code == 404
    assert "'contract-key-fields/nope-9' not found" in response.json()["detail"]


def test_frontier_cost_passthrough_sets_the_savings_baseline(client: httpx.Client) -> None:
    body = {
        "task": "contract-key-fields",
        "name": "priced-baseline",
        "frontier_cost_per_request_micro_usd": 1_000_000,
    }
    client.post("/v1/endpoints", json=body)
    for _ in range(3):
        response = client.post("/v1/chat/completions", json=chat_body("priced-baseline"))
        assert response.status_code == 200
    cost = client.get("/v1/endpoints/priced-baseline/cost").json()
    assert cost["frontier_baseline_micro_usd"] == 3_000_000
    assert cost["savings_micro_usd"] == 3_000_000 - cost["total_micro_usd"]


def test_deploy_rejects_a_non_string_model(client: httpx.Client) -> None:
    response = client.post("/v1/endpoints", json={"task": "contract-key-fields", "model": 3})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "model"]


def test_stopping_a_stopped_endpoint_is_a_no_op(client: httpx.Client) -> None:
    first = client.post("/v1/endpoints/ep_contract_qwen/stop").json()
    again = client.post("/v1/endpoints/ep_contract_qwen/stop").json()
    assert first["status"] == again["status"] == again["previous_status"] == "stopped"
    assert client.get("/v1/endpoints/ep_contract_qwen").json()["status"] == "stopped"


def test_deploy_finishes_live_when_restarted_mid_deploy() -> None:
    with LocalServer(deploy_seconds=0.5) as server:
        headers = {"Authorization": f"Bearer {server.api_key}"}
        body = {"task": "contract-key-fields", "name": "restarted"}
        with (
            httpx.Client(base_url=server.base_url, headers=headers) as c,
            c.stream("POST", "/v1/endpoints", json=body) as response,
        ):
            lines = response.iter_lines()
            for line in lines:
                if "warming up" in line:
                    break
            # Restarting now schedules "live" well past the end of the deploy stream.
            assert c.post("/v1/endpoints/restarted/stop").json()["status"] == "stopped"
            assert c.post("/v1/endpoints/restarted/start").json()["status"] == "starting"
            rest = "\n".join(lines)
            name, data = sse_events(rest)[-1]
            assert name == "complete"
            assert json.loads(data)["endpoint"]["status"] == "live"
            assert c.get("/v1/endpoints/restarted").json()["status"] == "live"
