"""What an agent does with the server, written once and run over each transport."""

from __future__ import annotations

import json

import anyio

from pareta.local import LocalServer

from .helpers import CONTRACT, ROWS, Progress, Session, data, error, spent_on, text

MESSAGES = [{"role": "user", "content": CONTRACT}]


async def list_tools_with_annotations(session: Session) -> None:
    tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert len(tools) == 18
    hints = {name: tool.annotations for name, tool in tools.items()}
    assert hints["leaderboard"] is not None and hints["leaderboard"].read_only_hint is True
    assert hints["chat"] is not None and hints["chat"].read_only_hint is False
    assert hints["chat"].open_world_hint is True
    assert hints["endpoint_delete"] is not None and hints["endpoint_delete"].destructive_hint


async def walk_the_funnel(session: Session, server: LocalServer, key: str) -> None:
    """From "extract key fields from contracts" to a deployed endpoint answering a chat."""
    match = data(
        await session.call_tool("match_task", {"query": "extract key fields from contracts"})
    )
    task = match["chosen"]["task_id"]
    board = data(await session.call_tool("leaderboard", {"task_id": task}))
    progress = Progress()
    run = data(
        await session.call_tool(
            "eval_run_start",
            {
                "task_id": task,
                "rows": ROWS,
                "models": [board["recommended"], board["models"][-1]["name"]],
                "poll_interval_seconds": 0.05,
            },
            progress_callback=progress,
        )
    )
    assert run["status"] == "completed" and progress.seen
    assert progress.seen[-1][2] == f"eval run {run['id']}: completed"
    deploying = Progress()
    endpoint = data(
        await session.call_tool(
            "endpoint_deploy",
            {"task_id": task, "model": run["winner"]},
            progress_callback=deploying,
        )
    )
    assert endpoint["status"] == "live"
    assert [pct for pct, _, _ in deploying.seen] == [5.0, 20.0, 45.0, 75.0, 95.0]
    reply = await session.call_tool("chat", {"endpoint_id": endpoint["id"], "messages": MESSAGES})
    assert json.loads(text(reply))["effective_date"] == "2026-03-01"
    spending = data(await session.call_tool("spending", {}))
    assert spending["spent_micro_usd"] == spent_on(server, key) > 0
    assert spending["spent_micro_usd"] == run["cost_micro_usd"] + data(reply)["cost_micro_usd"]


async def send_bad_arguments(session: Session) -> None:
    """A schema error is the caller's to fix: a tool error, and the server answers on."""
    wrong = await session.call_tool("eval_run_wait", {"run_id": ["not", "a", "string"]})
    assert wrong.is_error and "run_id" in text(wrong)
    assert data(await session.call_tool("spending", {}))["cap_micro_usd"] > 0


async def cancel_a_wait(session: Session) -> None:
    """Cancelling a wait stops the wait on the server; the run goes on."""
    run = data(
        await session.call_tool(
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
                await session.call_tool(
                    "eval_run_wait",
                    {"run_id": run["id"], "poll_interval_seconds": 0.05},
                    progress_callback=progress,
                )

            group.start_soon(wait)
            await progress.first.wait()
            scope.cancel()
    assert scope.cancelled_caught
    # The cancellation reaches the server ahead of the next request, but its handler
    # unwinds on its own time: ask until it has (each ask is one round trip).
    for _ in range(200):
        spending = data(await session.call_tool("spending", {}))
        if not spending["waiting_on_runs"]:
            break
        await anyio.sleep(0.01)
    assert spending["waiting_on_runs"] == []
    assert data(await session.call_tool("eval_run_get", {"run_id": run["id"]}))["terminal"] is False


async def hit_the_cap(session: Session, server: LocalServer, key: str, cap: int) -> None:
    """Chats until the cap refuses one; the org is billed no more than the cap allows."""
    for _ in range(200):
        result = await session.call_tool(
            "chat", {"endpoint_id": "ep_contract_kie", "messages": MESSAGES}
        )
        if result.is_error:
            break
    refusal = error(result)
    assert refusal["type"] == "SpendingCapError"
    spending = data(await session.call_tool("spending", {}))
    assert refusal["left_micro_usd"] == spending["remaining_micro_usd"]
    assert spending["spent_micro_usd"] + spending["held_micro_usd"] <= cap
    # Every chat that was sent is counted at what the org was billed for it; the refused
    # one was never sent. Whatever else the org was billed (a run) is within its hold.
    chats = [e for e in server.ledger(api_key=key) if e["kind"] == "chat.completion"]
    assert sum(e["amount_micro_usd"] for e in chats) == spending["spent_micro_usd"]
    assert spent_on(server, key) <= spending["spent_micro_usd"] + spending["held_micro_usd"]
