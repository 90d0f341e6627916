"""The tools through the MCP SDK's own client, with the server in this process (so these run
on asyncio and on trio), against a local Pareta server over real sockets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.shared.exceptions import MCPError

from pareta.local import LocalServer

from .helpers import (
    CONTRACT,
    ROWS,
    Progress,
    data,
    error,
    fresh_key,
    in_process,
    spent_on,
    text,
)

pytestmark = pytest.mark.anyio

READ_ONLY = {
    "match_task",
    "get_task",
    "leaderboard",
    "frontier_models",
    "eval_run_get",
    "eval_run_wait",
    "endpoints_list",
    "endpoint_metrics",
    "spending",
    "batch_status",
}
SPENDING = {"eval_run_start", "chat", "batch_start"}
CHANGING = {"eval_set_create", "endpoint_deploy", "endpoint_start", "endpoint_stop"}


async def test_tools_are_listed_with_their_annotations_and_schemas(local: LocalServer) -> None:
    async with in_process(api_key=fresh_key(), base_url=local.base_url) as (client, _):
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == READ_ONLY | SPENDING | CHANGING | {"endpoint_delete"}
    for name, tool in tools.items():
        hints = tool.annotations
        assert hints is not None and hints.title, name
        assert hints.read_only_hint is (name in READ_ONLY), name
        assert hints.destructive_hint is (name == "endpoint_delete"), name
        # Only the cap and a local results file are read without calling Pareta.
        assert hints.open_world_hint is (name not in {"spending", "batch_status"}), name
        assert tool.output_schema is not None and tool.output_schema["type"] == "object", name
        assert tool.description, name
    for name in SPENDING:
        assert tools[name].annotations.idempotent_hint is False  # type: ignore[union-attr]
    assert tools["endpoint_delete"].annotations.idempotent_hint is True  # type: ignore[union-attr]
    delete = tools["endpoint_delete"].input_schema
    assert delete["properties"]["confirm"]["default"] is False
    assert set(tools["eval_run_start"].input_schema["required"]) == {"models"}
    assert tools["chat"].input_schema["required"] == ["endpoint_id", "messages"]


async def test_the_funnel_from_a_job_to_a_deployed_endpoint_answering(local: LocalServer) -> None:
    key = fresh_key()
    async with in_process(api_key=key, base_url=local.base_url) as (client, _):
        match = await client.call_tool("match_task", {"query": "extract key fields from contracts"})
        task = data(match)["chosen"]["task_id"]
        assert task == "contract-key-fields"
        assert text(match).startswith("matched contract-key-fields")

        board = data(await client.call_tool("leaderboard", {"task_id": task}))
        assert board["recommended"] == "contract-kie-1"
        assert board["pareto_front"][-1] == board["frontier"]["name"]
        assert [m["on_front"] for m in board["models"]].count(True) == len(
            board["pareto_front"]
        ) - 1

        progress = Progress()
        run = await client.call_tool(
            "eval_run_start",
            {
                "task_id": task,
                "rows": ROWS,
                "models": [m["name"] for m in board["models"][:2]],
                "poll_interval_seconds": 0.05,
            },
            progress_callback=progress,
        )
        result = data(run)
        assert result["status"] == "completed" and result["terminal"]
        assert {r["kind"] for r in result["results"]} == {"open", "frontier"}
        assert result["winner"] in {m["name"] for m in board["models"][:2]}
        assert progress.seen[-1][2] == f"eval run {result['id']}: completed"
        assert [p for p, _, _ in progress.seen] == list(range(1, len(progress.seen) + 1))

        deploy_progress = Progress()
        endpoint = data(
            await client.call_tool(
                "endpoint_deploy",
                {"task_id": task, "model": result["winner"]},
                progress_callback=deploy_progress,
            )
        )
        assert endpoint["status"] == "live" and endpoint["model"] == result["winner"]
        assert [total for _, total, _ in deploy_progress.seen] == [100.0] * 5
        assert deploy_progress.seen[0][2] == "resolving model"

        answer = await client.call_tool(
            "chat",
            {"endpoint_id": endpoint["id"], "messages": [{"role": "user", "content": CONTRACT}]},
        )
        reply = data(answer)
        assert json.loads(reply["content"])["parties"] == ["Wayne Enterprises", "Stark Industries"]
        assert text(answer) == reply["content"]
        assert reply["cost_reported"] is True and reply["cost_micro_usd"] > 0

        spending = data(await client.call_tool("spending", {}))
    # What the cap counted is what the local server debited, to the micro-dollar.
    assert spending["spent_micro_usd"] == spent_on(local, key)
    assert spending["spent_micro_usd"] == result["cost_micro_usd"] + reply["cost_micro_usd"]
    assert spending["held_micro_usd"] == 0


async def test_the_cap_refuses_a_call_before_it_is_sent(local: LocalServer) -> None:
    key = fresh_key()
    messages = [{"role": "user", "content": CONTRACT}]
    # One chat on this endpoint is estimated at about 150 micro-USD: a cap of 50 holds none.
    async with in_process(api_key=key, base_url=local.base_url, cap="0.00005") as (client, _):
        refused = await client.call_tool(
            "chat", {"endpoint_id": "ep_contract_kie", "messages": messages}
        )
        record = error(refused)
        run = await client.call_tool(
            "eval_run_start", {"task_id": "contract-key-fields", "rows": ROWS, "models": ["qwen-1"]}
        )
        after = data(await client.call_tool("spending", {}))
    assert record["type"] == "SpendingCapError"
    assert "Nothing was sent" in record["detail"] and "--max-spend-usd" in record["detail"]
    assert text(refused).startswith("SpendingCapError: a chat completion on ep_contract_kie")
    assert error(run)["type"] == "SpendingCapError"
    assert spent_on(local, key) == 0  # neither the chat nor the run reached the server
    assert after["spent_micro_usd"] == 0 and after["held_micro_usd"] == 0


@pytest.mark.slow
async def test_calls_stop_at_the_cap_and_the_spend_never_passes_it(local: LocalServer) -> None:
    key = fresh_key()
    messages = [{"role": "user", "content": CONTRACT}]
    cap = 1_000
    async with in_process(api_key=key, base_url=local.base_url, cap="0.001") as (client, _):
        costs = []
        for _ in range(100):
            result = await client.call_tool(
                "chat", {"endpoint_id": "ep_contract_kie", "messages": messages}
            )
            if result.is_error:
                break
            costs.append(data(result)["cost_micro_usd"])
        refusal = error(result)
        spending = data(await client.call_tool("spending", {}))
    assert refusal["type"] == "SpendingCapError" and len(costs) >= 2
    spent = spending["spent_micro_usd"]
    assert spent == sum(costs) == spent_on(local, key) <= cap
    # Refused when, and only when, the next call's estimate no longer fits under the cap.
    assert refusal["left_micro_usd"] == spending["remaining_micro_usd"] == cap - spent
    assert spent + refusal["estimate_micro_usd"] > cap
    assert spent - costs[-1] + refusal["estimate_micro_usd"] <= cap


async def test_bad_arguments_are_a_tool_error_and_the_server_stays_up(local: LocalServer) -> None:
    async with in_process(api_key=fresh_key(), base_url=local.base_url) as (client, _):
        wrong_type = await client.call_tool("leaderboard", {"task_id": 5})
        missing = await client.call_tool("chat", {"endpoint_id": "ep_contract_kie"})
        unknown = await client.call_tool("no_such_tool", {})
        bad_role = await client.call_tool(
            "chat", {"endpoint_id": "x", "messages": [{"role": "robot", "content": "hi"}]}
        )
        both = await client.call_tool(
            "eval_run_start",
            {"task_id": "contract-key-fields", "rows": ROWS, "rows_path": "x", "models": ["a"]},
        )
        still = await client.call_tool("leaderboard", {"task_id": "contract-key-fields"})
    assert wrong_type.is_error and "task_id" in text(wrong_type)
    assert missing.is_error and "messages" in text(missing)
    assert unknown.is_error and "no_such_tool" in text(unknown)
    assert bad_role.is_error and "role" in text(bad_role)
    assert error(both)["type"] == "ValueError"
    assert "exactly one" in error(both)["detail"]
    assert data(still)["task_id"] == "contract-key-fields"


async def test_without_a_key_every_tool_says_how_to_set_one(
    local: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with in_process(api_key=None, base_url=local.base_url) as (client, _):
        assert len((await client.list_tools()).tools) == 18
        results = [
            await client.call_tool("match_task", {"query": "contracts"}),
            await client.call_tool("endpoints_list", {}),
            await client.call_tool(
                "chat",
                {"endpoint_id": "ep_contract_kie", "messages": [{"role": "user", "content": "x"}]},
            ),
        ]
        for result in results:
            record = error(result)
            assert record["type"] == "MissingKeyError"
            assert "PARETA_API_KEY" in record["detail"] and "pareta mcp --local" in record["detail"]
        # Once the key is in the environment, the next call uses it.
        monkeypatch.setenv("PARETA_API_KEY", fresh_key())
        listed = data(await client.call_tool("endpoints_list", {}))
    assert "ep_contract_kie" in {e["id"] for e in listed["endpoints"]}


async def test_a_wrong_key_is_a_tool_error_that_never_shows_the_key(local: LocalServer) -> None:
    key = "not-a-pareta-key-" + fresh_key()
    async with in_process(api_key=key, base_url=local.base_url) as (client, _):
        results = [
            await client.call_tool("match_task", {"query": "extract key fields from contracts"}),
            await client.call_tool(
                "chat",
                {"endpoint_id": "ep_contract_kie", "messages": [{"role": "user", "content": "x"}]},
            ),
        ]
        with pytest.raises(MCPError) as read:
            await client.read_resource("pareta://tasks")
    for result in results:
        record = error(result)
        assert record["type"] == "AuthenticationError"
        assert record["status"] == 401
        assert record["request_id"].startswith("req_")
        assert "check PARETA_API_KEY" in record["hint"]
        assert key not in text(result) and key not in json.dumps(result.structured_content)
    assert "AuthenticationError" in str(read.value) and key not in str(read.value)


async def test_an_api_error_carries_its_class_detail_and_request_id(local: LocalServer) -> None:
    async with in_process(api_key=fresh_key(), base_url=local.base_url) as (client, _):
        result = await client.call_tool("endpoint_stop", {"endpoint_id": "ep_missing"})
        failed_deploy = await client.call_tool("endpoint_deploy", {"task_id": "no-such-task"})
    record = error(result)
    assert record["type"] == "NotFoundError" and record["status"] == 404
    assert "ep_missing" in record["detail"] and record["request_id"].startswith("req_")
    assert text(result).startswith("NotFoundError: ")
    assert f"request id {record['request_id']}" in text(result)
    deploy = error(failed_deploy)
    assert deploy["type"] == "APIStreamError"
    assert deploy["detail"].startswith("deploy of task 'no-such-task' failed: Unknown task")


async def test_deleting_needs_confirm(local: LocalServer) -> None:
    async with in_process(api_key=fresh_key(), base_url=local.base_url) as (client, _):
        endpoint = data(
            await client.call_tool("endpoint_deploy", {"task_id": "contract-key-fields"})
        )
        refused = await client.call_tool("endpoint_delete", {"endpoint_id": endpoint["id"]})
        listed = data(await client.call_tool("endpoints_list", {}))
        deleted = await client.call_tool(
            "endpoint_delete", {"endpoint_id": endpoint["id"], "confirm": True}
        )
        after = data(await client.call_tool("endpoints_list", {}))
    assert error(refused)["type"] == "ValueError" and "confirm=true" in error(refused)["detail"]
    assert endpoint["id"] in {e["id"] for e in listed["endpoints"]}
    assert text(deleted) == f"endpoint {endpoint['id']} deleted"
    assert endpoint["id"] not in {e["id"] for e in after["endpoints"]}


@pytest.mark.slow
async def test_stop_start_and_metrics_of_an_endpoint(local: LocalServer) -> None:
    async with in_process(api_key=fresh_key(), base_url=local.base_url) as (client, _):
        endpoint = data(
            await client.call_tool("endpoint_deploy", {"task_id": "contract-key-fields"})
        )
        stopped = data(await client.call_tool("endpoint_stop", {"endpoint_id": endpoint["id"]}))
        refused = await client.call_tool(
            "chat",
            {"endpoint_id": endpoint["id"], "messages": [{"role": "user", "content": CONTRACT}]},
        )
        started = data(await client.call_tool("endpoint_start", {"endpoint_id": endpoint["id"]}))
        metrics = await client.call_tool(
            "endpoint_metrics",
            {"endpoint_id": "ep_contract_kie", "dimension": "cost", "params": {"window": "24h"}},
        )
        spending = data(await client.call_tool("spending", {}))
    assert stopped["action"] == "stop" and started["action"] == "start"
    assert error(refused)["type"] == "EndpointNotReadyError"
    assert spending["spent_micro_usd"] == 0 and spending["held_micro_usd"] == 0
    assert data(metrics)["report"]["window"] == "24h"
    assert text(metrics).startswith("cost of ep_contract_kie: ")


async def test_tasks_frontier_models_and_eval_sets(local: LocalServer, tmp_path: Path) -> None:
    rows_file = tmp_path / "rows.jsonl"
    rows_file.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    async with in_process(api_key=fresh_key(), base_url=local.base_url) as (client, _):
        task = data(await client.call_tool("get_task", {"task_id": "contract-key-fields"}))
        frontier = data(
            await client.call_tool("frontier_models", {"task_id": "contract-key-fields"})
        )
        created = data(
            await client.call_tool(
                "eval_set_create",
                {"task_id": "contract-key-fields", "rows_path": str(rows_file), "name": "mine"},
            )
        )
        started = await client.call_tool(
            "eval_run_start",
            {"eval_set_id": created["id"], "models": ["qwen-1"], "frontier": "none", "wait": False},
        )
        run = data(started)
        final = data(
            await client.call_tool(
                "eval_run_wait", {"run_id": run["id"], "poll_interval_seconds": 0.05}
            )
        )
        again = data(await client.call_tool("eval_run_get", {"run_id": run["id"]}))
        missing = await client.call_tool(
            "eval_set_create",
            {"task_id": "contract-key-fields", "rows_path": str(tmp_path / "none.jsonl")},
        )
        spending = data(await client.call_tool("spending", {}))
    assert len(task["examples"]) == 3 and task["input_schema"] == {"input": "string"}
    assert any(m["benchmarked"] for m in frontier["models"])
    assert created["item_count"] == 2 and created["name"] == "mine"
    assert run["terminal"] is False and run["cost_micro_usd"] is None
    assert text(started).endswith("wait for it with eval_run_wait")
    assert final["status"] == "completed" and final["candidate_models"] == ["qwen-1"]
    assert again == final
    assert spending["spent_micro_usd"] == final["cost_micro_usd"]
    assert error(missing)["type"] == "FileNotFoundError"


async def test_cancelling_an_eval_wait_stops_the_wait_not_the_run(slow: LocalServer) -> None:
    key = fresh_key()
    async with in_process(api_key=key, base_url=slow.base_url) as (client, _):
        run = data(
            await client.call_tool(
                "eval_run_start",
                {
                    "task_id": "contract-key-fields",
                    "rows": ROWS,
                    "models": ["qwen-1"],
                    "frontier": "none",
                    "wait": False,
                },
            )
        )
        progress = Progress()
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as group:

                async def wait() -> None:
                    await client.call_tool(
                        "eval_run_wait",
                        {"run_id": run["id"], "poll_interval_seconds": 0.05},
                        progress_callback=progress,
                    )

                group.start_soon(wait)
                await progress.first.wait()
                scope.cancel()
        assert scope.cancelled_caught
        # The server notices the cancellation: the wait ends there, and nothing else does.
        for _ in range(200):
            spending = data(await client.call_tool("spending", {}))
            if not spending["waiting_on_runs"]:
                break
            await anyio.sleep(0.01)
        still = data(await client.call_tool("eval_run_get", {"run_id": run["id"]}))
    assert spending["waiting_on_runs"] == []
    assert still["terminal"] is False
    # The run keeps its hold: it will be billed when it ends.
    assert spending["held_micro_usd"] > 0 and spending["holds"][0]["what"].startswith("an eval run")


async def test_resources_the_catalog_a_leaderboard_and_a_run(local: LocalServer) -> None:
    async with in_process(api_key=fresh_key(), base_url=local.base_url) as (client, _):
        listed = await client.list_resources()
        templates = await client.list_resource_templates()
        catalog = await client.read_resource("pareta://tasks")
        board = await client.read_resource("pareta://tasks/contract-key-fields/leaderboard")
        run = await client.read_resource("pareta://eval-runs/run_456")
        with pytest.raises(MCPError) as missing:
            await client.read_resource("pareta://eval-runs/run_missing")

    def body(result: Any) -> dict[str, Any]:
        loaded = json.loads(result.contents[0].text)
        assert isinstance(loaded, dict)
        return loaded

    assert [str(r.uri) for r in listed.resources] == ["pareta://tasks"]
    assert {t.uri_template for t in templates.resource_templates} == {
        "pareta://tasks/{task_id}/leaderboard",
        "pareta://eval-runs/{run_id}",
    }
    assert "contract-key-fields" in {t["id"] for t in body(catalog)["tasks"]}
    assert body(board)["recommended"] == "contract-kie-1"
    assert body(run)["id"] == "run_456" and body(run)["status"] == "completed"
    assert "NotFoundError" in str(missing.value) and "request id req_" in str(missing.value)


async def test_a_batch_job_runs_in_the_background_and_is_billed_once(
    local: LocalServer, tmp_path: Path
) -> None:
    key = fresh_key()
    source = tmp_path / "rows.jsonl"
    source.write_text(
        "".join(
            json.dumps({"id": f"r{n}", "prompt": f"{CONTRACT} Row {n}."}) + "\n" for n in range(6)
        )
    )
    output = tmp_path / "out.jsonl"
    async with in_process(api_key=key, base_url=local.base_url) as (client, backend):
        started = data(
            await client.call_tool(
                "batch_start",
                {
                    "endpoint_id": "ep_contract_kie",
                    "input_path": str(source),
                    "output_path": str(output),
                    "key": "id",
                },
            )
        )
        await backend.batches[str(output)].done.wait()
        status = await client.call_tool("batch_status", {"output_path": str(output)})
        again = data(
            await client.call_tool(
                "batch_start",
                {
                    "endpoint_id": "ep_contract_kie",
                    "input_path": str(source),
                    "output_path": str(output),
                    "key": "id",
                },
            )
        )
        await backend.batches[str(output)].done.wait()
        spending = data(await client.call_tool("spending", {}))
    assert started["running"] is True
    done = data(status)
    assert (done["running"], done["rows"], done["answered"], done["failed"]) == (False, 6, 6, 0)
    assert done["billed_micro_usd"] == spent_on(local, key) > 0
    assert text(status) == f"batch {output}: not running, 6 answered, 0 failed"
    # The resume skipped every row: nothing billed twice.
    assert again["running"] is True
    assert spending["spent_micro_usd"] == spent_on(local, key) == done["billed_micro_usd"]


async def test_a_batch_is_refused_whole_before_a_row_is_sent(
    local: LocalServer, tmp_path: Path
) -> None:
    key = fresh_key()
    source = tmp_path / "rows.jsonl"
    source.write_text("".join(json.dumps({"prompt": CONTRACT}) + "\n" for _ in range(50)))
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"prompt": "fine"}\n{"nothing": 1}\n')
    async with in_process(api_key=key, base_url=local.base_url, cap="0.001") as (client, _):
        over = await client.call_tool(
            "batch_start", {"endpoint_id": "ep_contract_kie", "input_path": str(source)}
        )
        bad = await client.call_tool(
            "batch_start", {"endpoint_id": "ep_contract_kie", "input_path": str(broken)}
        )
        status = data(
            await client.call_tool(
                "batch_status", {"output_path": str(tmp_path / "rows.results.jsonl")}
            )
        )
    assert error(over)["type"] == "SpendingCapError"
    assert "a batch of 50 rows" in error(over)["detail"]
    assert error(bad)["type"] == "ValueError" and "line 2" in error(bad)["detail"]
    assert (status["running"], status["rows"]) == (False, 0)
    assert spent_on(local, key) == 0
