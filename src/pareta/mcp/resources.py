"""What an agent reads rather than calls: the task catalog, a task's leaderboard, and an
eval run's results, as JSON resources."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from pydantic import BaseModel

from .backend import Backend
from .errors import describe, message, scrub
from .evals import settle_run
from .schemas import EvalRunOut, LeaderboardOut, TaskListOut

JSON = "application/json"


async def _read(backend: Backend, produce: Callable[[], Awaitable[BaseModel]]) -> str:
    key = backend.key()
    try:
        result = await produce()
    except Exception as exc:
        # A failed read is the protocol's error, with the same class, detail and request id.
        raise ResourceError(scrub(message(describe(exc)), key)) from None
    return scrub(result.model_dump_json(indent=2), key)


def register(app: MCPServer, backend: Backend) -> None:
    @app.resource(
        "pareta://tasks",
        name="tasks",
        title="The task catalog",
        description="Every benchmark task: id, title, description, input and output schema.",
        mime_type=JSON,
    )
    async def tasks() -> str:
        async def produce() -> BaseModel:
            catalog = await backend.client().tasks.list()
            return TaskListOut(tasks=[task.to_dict() for task in catalog])

        return await _read(backend, produce)

    @app.resource(
        "pareta://tasks/{task_id}/leaderboard",
        name="leaderboard",
        title="A task's leaderboard",
        description="Open models by quality and cost, the frontier baseline, the Pareto front "
        "and the recommended pick.",
        mime_type=JSON,
    )
    async def leaderboard(task_id: str) -> str:
        async def produce() -> BaseModel:
            return LeaderboardOut.of(await backend.client().tasks.leaderboard(task_id))

        return await _read(backend, produce)

    @app.resource(
        "pareta://eval-runs/{run_id}",
        name="eval-run",
        title="An eval run's results",
        description="Status, per-model quality and cost, the Pareto front, the winner, the bill.",
        mime_type=JSON,
    )
    async def eval_run(run_id: str) -> str:
        async def produce() -> BaseModel:
            run = await backend.client().evals.runs.retrieve(run_id)
            settle_run(backend, run)
            return EvalRunOut.of(run)

        return await _read(backend, produce)
