"""``pareta mcp`` as an MCP client runs it: a subprocess spoken to over stdio by the MCP
SDK's own ``ClientSession`` (on asyncio and on trio), pointed at a local Pareta server."""

from __future__ import annotations

from pathlib import Path

import pytest

from pareta.local import LocalServer

from . import scenarios
from .helpers import data, error, fresh_key, over_stdio, server_env, text

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_the_funnel_over_stdio(local: LocalServer, tmp_path: Path) -> None:
    key = fresh_key()
    log = tmp_path / "stderr.log"
    async with over_stdio(server_env(local, key), ["--log-level", "DEBUG"], log) as session:
        await scenarios.list_tools_with_annotations(session)
        await scenarios.walk_the_funnel(session, local, key)
    said = log.read_text()
    assert "HTTP Request: POST" in said  # it did log, at length
    assert key not in said


async def test_the_cap_bad_arguments_and_a_cancelled_wait_over_stdio(
    slow: LocalServer, tmp_path: Path
) -> None:
    key = fresh_key()
    log = tmp_path / "stderr.log"
    env = server_env(slow, key)
    async with over_stdio(env, ["--max-spend-usd", "0.002"], log) as session:
        await scenarios.send_bad_arguments(session)
        await scenarios.cancel_a_wait(session)
        await scenarios.hit_the_cap(session, slow, key, cap=2_000)
        await scenarios.send_bad_arguments(session)
    assert key not in log.read_text()


async def test_a_wrong_key_and_no_key_over_stdio(local: LocalServer, tmp_path: Path) -> None:
    wrong = "sk-wrong-" + fresh_key()
    log = tmp_path / "stderr.log"
    async with over_stdio(server_env(local, wrong), ["--log-level", "DEBUG"], log) as session:
        refused = await session.call_tool("endpoints_list", {})
    record = error(refused)
    assert (record["type"], record["status"]) == ("AuthenticationError", 401)
    assert record["request_id"].startswith("req_")
    assert wrong not in text(refused) and wrong not in log.read_text()

    async with over_stdio(server_env(local, None), [], tmp_path / "nokey.log") as session:
        assert len((await session.list_tools()).tools) == 18
        missing = await session.call_tool("match_task", {"query": "contracts"})
    assert error(missing)["type"] == "MissingKeyError"
    assert text(missing).startswith("MissingKeyError: no Pareta API key: set PARETA_API_KEY")


async def test_local_runs_the_whole_funnel_with_no_account(tmp_path: Path) -> None:
    """From "extract key fields from contracts" to a deployed endpoint answering, under a cap."""
    log = tmp_path / "stderr.log"
    async with over_stdio({}, ["--local", "--max-spend-usd", "0.05"], log) as session:
        match = data(
            await session.call_tool("match_task", {"query": "extract key fields from contracts"})
        )
        task = match["chosen"]["task_id"]
        board = data(await session.call_tool("leaderboard", {"task_id": task}))
        examples = data(await session.call_tool("get_task", {"task_id": task, "examples": 4}))
        run = data(
            await session.call_tool(
                "eval_run_start",
                {
                    "task_id": task,
                    "rows": examples["examples"],
                    "models": [m["name"] for m in board["models"][:3]],
                    "poll_interval_seconds": 0.05,
                },
            )
        )
        endpoint = data(
            await session.call_tool("endpoint_deploy", {"task_id": task, "model": run["winner"]})
        )
        reply = data(
            await session.call_tool(
                "chat",
                {
                    "endpoint_id": endpoint["id"],
                    "messages": [
                        {"role": "user", "content": "Effective 2026-03-01, Acme and Bob."}
                    ],
                },
            )
        )
        spending = data(await session.call_tool("spending", {}))
    assert reply["content"] and reply["cost_reported"] is True
    assert spending["spent_micro_usd"] == run["cost_micro_usd"] + reply["cost_micro_usd"]
    assert 0 < spending["spent_micro_usd"] <= 50_000 and spending["held_micro_usd"] == 0
    assert "a local Pareta server at http://127.0.0.1:" in log.read_text()
