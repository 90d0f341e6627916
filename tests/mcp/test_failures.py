"""What the money and the errors do when calls fail: refused, dropped, failed runs, empty
balances, hostile answers and bugs. In process, on asyncio and trio."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from pareta import AsyncPareta
from pareta.local import LocalServer
from pareta.mcp.backend import metered, record_cost

from .helpers import CONTRACT, ROWS, Progress, data, error, fresh_key, in_process, spent_on, text

pytestmark = pytest.mark.anyio

MESSAGES = [{"role": "user", "content": CONTRACT}]


@pytest.mark.slow
async def test_a_dropped_call_counts_its_estimate(local: LocalServer) -> None:
    key = fresh_key()
    local.inject_fault("POST /v1/chat/completions drop", api_key=key)
    local.inject_fault("POST /v1/eval-runs drop", api_key=key)
    async with in_process(api_key=key, base_url=local.base_url) as (client, _):
        chat = await client.call_tool(
            "chat", {"endpoint_id": "ep_contract_kie", "messages": MESSAGES}
        )
        after_chat = data(await client.call_tool("spending", {}))
        run = await client.call_tool(
            "eval_run_start",
            {"task_id": "contract-key-fields", "rows": ROWS, "models": ["qwen-1"], "frontier": []},
        )
        after_run = data(await client.call_tool("spending", {}))
    assert error(chat)["type"] == "APIConnectionError"
    assert "PARETA_BASE_URL" in error(chat)["hint"]
    assert error(run)["type"] == "APIConnectionError"
    # Nothing reported what they cost, so the cap counts what they might have: the estimates.
    assert spent_on(local, key) == 0
    assert after_chat["spent_micro_usd"] > 0 and after_chat["held_micro_usd"] == 0
    assert after_run["spent_micro_usd"] > after_chat["spent_micro_usd"]
    assert after_run["held_micro_usd"] == 0


@pytest.mark.slow
async def test_a_refused_call_releases_its_hold(local: LocalServer) -> None:
    key = fresh_key()
    async with in_process(api_key=key, base_url=local.base_url) as (client, _):
        unknown = await client.call_tool(
            "eval_run_start",
            {
                "task_id": "contract-key-fields",
                "rows": ROWS,
                "models": ["no-such-model"],
                "poll_interval_seconds": 0.05,
            },
        )
        local.inject_fault("POST /v1/eval-runs status=400 detail=refused", api_key=key)
        refused = await client.call_tool(
            "eval_run_start",
            {"task_id": "contract-key-fields", "rows": ROWS, "models": ["qwen-1"]},
        )
        nothing = await client.call_tool(
            "eval_run_start",
            {"task_id": "contract-key-fields", "rows": ROWS, "models": [], "frontier": "none"},
        )
        mixed = await client.call_tool(
            "eval_run_start", {"eval_set_id": "evset_123", "rows": ROWS, "models": ["qwen-1"]}
        )
        bare = await client.call_tool("eval_run_start", {"models": ["qwen-1"]})
        spending = data(await client.call_tool("spending", {}))
    assert data(unknown)["status"] == "failed" and data(unknown)["cost_micro_usd"] == 0
    assert (error(refused)["type"], error(refused)["status"]) == ("BadRequestError", 400)
    assert error(nothing)["detail"].startswith("nothing to evaluate")
    assert error(mixed)["detail"] == "pass eval_set_id or rows, not both"
    assert "needs eval_set_id, or task_id with rows" in error(bare)["detail"]
    assert (spending["spent_micro_usd"], spending["held_micro_usd"]) == (0, 0)
    assert spent_on(local, key) == 0


async def test_a_balance_that_cannot_cover_a_run_or_a_call_refuses_both_unbilled(
    local: LocalServer,
) -> None:
    key = fresh_key()
    async with in_process(api_key=key, base_url=local.base_url) as (client, _):
        await client.call_tool("spending", {})  # the org exists once its key is seen
        local.set_balance(1, api_key=key)
        refused = await client.call_tool(
            "eval_run_start",
            {
                "task_id": "contract-key-fields",
                "rows": ROWS,
                "models": ["qwen-1"],
                "poll_interval_seconds": 0.05,
            },
        )
        local.set_balance(0, api_key=key)
        broke = await client.call_tool(
            "chat", {"endpoint_id": "ep_contract_kie", "messages": MESSAGES}
        )
        spending = data(await client.call_tool("spending", {}))
    # A run reserves what it may cost when it is created: 402 then, nothing scored.
    for answer in (refused, broke):
        assert error(answer)["type"] == "InsufficientCreditsError"
        assert error(answer)["status"] == 402
        assert "tops it up" in error(answer)["hint"]
    assert (spending["spent_micro_usd"], spending["held_micro_usd"]) == (0, 0)


async def test_chat_options_reach_the_model(local: LocalServer) -> None:
    async with in_process(api_key=fresh_key(), base_url=local.base_url) as (client, _):
        reply = data(
            await client.call_tool(
                "chat",
                {
                    "endpoint_id": "ep_contract_kie",
                    "messages": [{"role": "system", "content": "Extract."}, *MESSAGES],
                    "max_tokens": 2,
                    "temperature": 0,
                },
            )
        )
    assert reply["finish_reason"] == "length" and reply["usage"]["completion_tokens"] == 2


async def test_a_bug_is_a_tool_error_whose_log_keeps_the_trace_but_not_the_key(
    local: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    key = fresh_key()
    async with in_process(api_key=key, base_url=local.base_url) as (client, backend):

        async def broken(*args: Any) -> int:
            raise RuntimeError(f"a bug that quotes {key}")

        backend.pricing.request = broken  # type: ignore[method-assign,assignment]
        with caplog.at_level(logging.INFO, logger="pareta.mcp"):
            result = await client.call_tool(
                "chat", {"endpoint_id": "ep_contract_kie", "messages": MESSAGES}
            )
            still = await client.call_tool("leaderboard", {"task_id": "contract-key-fields"})
    assert error(result) == {"type": "RuntimeError", "detail": "internal error in chat"}
    assert not still.is_error
    logged = caplog.text
    assert "Traceback" in logged and "a bug that quotes [redacted]" in logged
    assert key not in logged


async def test_batch_rows_in_every_form_and_a_job_that_cannot_write(
    local: LocalServer, tmp_path: Path
) -> None:
    key = fresh_key()
    source = tmp_path / "rows.jsonl"
    lines = [
        {"id": "a", "messages": [{"role": "user", "content": CONTRACT}]},
        {"id": "b", "input": CONTRACT},
        {"id": "c", "prompt": CONTRACT},
        {"prompt": CONTRACT},  # no key field: this row alone fails
    ]
    source.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    output = tmp_path / "missing-dir" / "out.jsonl"
    async with in_process(api_key=key, base_url=local.base_url) as (client, backend):
        started = await client.call_tool(
            "batch_start",
            {
                "endpoint_id": "ep_contract_kie",
                "input_path": str(source),
                "output_path": str(output),
                "key": "id",
                "max_tokens": 5,
            },
        )
        await backend.batches[str(output)].done.wait()
        failed_status = await client.call_tool("batch_status", {"output_path": str(output)})
        ran = data(
            await client.call_tool(
                "batch_start",
                {"endpoint_id": "ep_contract_kie", "input_path": str(source), "key": "id"},
            )
        )
        await backend.batches[ran["output_path"]].done.wait()
        done = data(await client.call_tool("batch_status", {"output_path": ran["output_path"]}))
        spending = data(await client.call_tool("spending", {}))
    assert data(started)["running"] is True
    failed = data(failed_status)
    assert failed["running"] is False and failed["error"].startswith("ResultsFileError")
    assert text(failed_status).endswith(f"; error: {failed['error']}")
    assert ran["output_path"] == str(tmp_path / "rows.results.jsonl")
    assert (done["rows"], done["answered"], done["failed"]) == (4, 3, 1)
    assert done["errors"] == {"ValueError": 1}
    assert spending["spent_micro_usd"] == spent_on(local, key) == done["billed_micro_usd"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "holds no rows"),
        ("not json\n", "line 1 is not JSON"),
        ("[1, 2]\n", "line 1: a row must be a JSON object"),
        ('{"prompt": 5}\n', 'line 1: a row needs a "prompt"'),
    ],
)
async def test_a_bad_batch_file_is_refused_before_anything_is_sent(
    local: LocalServer, tmp_path: Path, content: str, problem: str
) -> None:
    source = tmp_path / "rows.jsonl"
    source.write_text(content)
    async with in_process(api_key=fresh_key(), base_url=local.base_url) as (client, backend):
        result = await client.call_tool(
            "batch_start", {"endpoint_id": "ep_contract_kie", "input_path": str(source)}
        )
    assert error(result)["type"] == "ValueError" and problem in error(result)["detail"]
    assert backend.batches == {}


def hostile(handler: Any) -> AsyncPareta:
    return AsyncPareta(
        api_key="pareta_sk_x",
        base_url="http://pareta.invalid",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        max_retries=0,
    )


async def test_a_deploy_that_completes_without_an_endpoint_is_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = b'event: complete\ndata: {"endpoint": "nope"}\n\n'
        return httpx.Response(
            200, content=body, headers={"content-type": "text/event-stream", "x-request-id": "r1"}
        )

    async with in_process(api_key="pareta_sk_x", base_url=None) as (client, backend):
        backend._client = hostile(handler)
        result = await client.call_tool("endpoint_deploy", {"task_id": "contract-key-fields"})
    record = error(result)
    assert record["type"] == "APIStreamError" and record["request_id"] == "r1"
    assert text(result).startswith(
        "APIStreamError: deploy of task 'contract-key-fields' failed: it completed without an "
        "endpoint record ({'endpoint': 'nope'}) (request id r1)"
    )


async def test_only_a_whole_number_is_a_reported_cost() -> None:
    request = httpx.Request("POST", "http://pareta.invalid/v1/chat/completions")
    with metered() as meter:
        await record_cost(
            httpx.Response(200, headers={"x-pareta-cost-micro-usd": "1.5"}, request=request)
        )
        await record_cost(
            httpx.Response(500, headers={"x-pareta-cost-micro-usd": "7"}, request=request)
        )
        await record_cost(httpx.Response(200, request=request))
        assert meter.reported is None
        await record_cost(
            httpx.Response(200, headers={"x-pareta-cost-micro-usd": "7"}, request=request)
        )
        await record_cost(
            httpx.Response(200, headers={"x-pareta-cost-micro-usd": "5"}, request=request)
        )
    assert meter.reported == 12
    # Outside a metered call, a reported cost is nobody's.
    await record_cost(
        httpx.Response(200, headers={"x-pareta-cost-micro-usd": "9"}, request=request)
    )
    assert meter.reported == 12


def bare_api(request: httpx.Request) -> httpx.Response:
    """An API that reports no cost and leaves fields out: what the SDK must not assume."""
    answers: dict[str, Any] = {
        "/v1/endpoints/ep_bare": {"id": "ep_bare"},
        "/v1/eval-sets/es_bare": {"id": "es_bare", "item_count": 2},
        "/v1/endpoints/ep_ok": {"id": "ep_ok", "task": "t", "model": "m", "status": "live"},
        "/v1/tasks/t/leaderboard": {
            "task_id": "t",
            "models": [{"name": "m", "kind": "open", "cost_per_request_micro_usd": 10}],
        },
        "/v1/tasks/t": {"id": "t", "examples": [{"input": "four"}]},
        "/v1/chat/completions": {
            "id": "c",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}],
        },
    }
    return httpx.Response(200, json=answers[request.url.path], headers={"x-request-id": "r"})


async def test_a_cost_the_api_does_not_report_counts_as_its_estimate(tmp_path: Path) -> None:
    source = tmp_path / "rows.jsonl"
    source.write_text('{"prompt": "hi"}\n')
    async with in_process(api_key="pareta_sk_x", base_url=None) as (client, backend):
        backend._client = hostile(bare_api)
        reply = data(
            await client.call_tool(
                "chat",
                {"endpoint_id": "ep_ok", "messages": [{"role": "user", "content": "a" * 12}]},
            )
        )
        spending = data(await client.call_tool("spending", {}))
        bare_chat = await client.call_tool(
            "chat", {"endpoint_id": "ep_bare", "messages": [{"role": "user", "content": "x"}]}
        )
        bare_batch = await client.call_tool(
            "batch_start", {"endpoint_id": "ep_bare", "input_path": str(source)}
        )
        bare_set = await client.call_tool(
            "eval_run_start", {"eval_set_id": "es_bare", "models": ["m"]}
        )
    # 10 per request, for an input three times the examples' length, doubled: 60.
    assert (reply["cost_reported"], reply["cost_micro_usd"]) == (False, 60)
    assert spending["spent_micro_usd"] == 60
    for result in (bare_chat, bare_batch):
        assert (
            error(result)["detail"] == "endpoint ep_bare names no task or model to price a call by"
        )
    assert error(bare_set)["detail"] == "eval set es_bare names no task"


async def test_a_deploy_stream_may_carry_events_it_does_not_know() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = (
            b"event: heartbeat\ndata: {}\n\n"
            b'event: progress\ndata: {"stage": "warming up"}\n\n'
            b'event: complete\ndata: {"endpoint": {"id": "ep_1", "status": "live"}}\n\n'
        )
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    async with in_process(api_key="pareta_sk_x", base_url=None) as (client, backend):
        backend._client = hostile(handler)
        progress = Progress()
        result = await client.call_tool(
            "endpoint_deploy", {"task_id": "t"}, progress_callback=progress
        )
    assert data(result)["id"] == "ep_1"
    assert progress.seen == [(0.0, 100.0, "warming up")]


@pytest.mark.slow
async def test_one_job_at_a_time_writes_a_results_file(local: LocalServer, tmp_path: Path) -> None:
    key = fresh_key()
    # Its one row takes three seconds: the second start comes well within them.
    local.inject_fault("POST /v1/chat/completions latency=3s", api_key=key)
    source = tmp_path / "rows.jsonl"
    source.write_text(json.dumps({"prompt": CONTRACT}) + "\n")
    args = {"endpoint_id": "ep_contract_kie", "input_path": str(source)}
    async with in_process(api_key=key, base_url=local.base_url) as (client, backend):
        first = data(await client.call_tool("batch_start", args))
        second = await client.call_tool("batch_start", args)
        held = data(await client.call_tool("spending", {}))
        await backend.batches[first["output_path"]].done.wait()
    assert first["running"] is True
    assert error(second)["detail"].startswith("a batch job is already writing ")
    assert held["held_micro_usd"] > 0 and held["holds"][0]["what"].startswith("a batch of 1 rows")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "holds no rows"),
        ('{"input": "a"}\nnot json\n', "line 2 is not JSON"),
        ('["a"]\n', "line 1: a row must be a JSON object"),
    ],
)
async def test_a_bad_rows_file_is_refused_before_anything_is_sent(
    local: LocalServer, tmp_path: Path, content: str, problem: str
) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(content)
    key = fresh_key()
    async with in_process(api_key=key, base_url=local.base_url) as (client, _):
        result = await client.call_tool(
            "eval_set_create", {"task_id": "contract-key-fields", "rows_path": str(rows)}
        )
    assert error(result)["type"] == "ValueError" and problem in error(result)["detail"]
