"""``tasks``: the benchmark catalog, the intent matcher, and per-task leaderboards."""

from __future__ import annotations

import builtins
from typing import Any

from .._checks import path_segment, require_idempotency_key, require_positive_int, require_text
from .._envelopes import record, records
from .._models import Leaderboard, Task, TaskMatch
from ._http import AsyncAPIClient


class AsyncTasks:
    # Where the resource hangs off the client: a batch job names its method by it.
    _resource = "tasks"

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def list(self) -> builtins.list[Task]:
        """Every benchmark task in the catalog."""
        data = await self._client.request_json("GET", "/v1/tasks", expect=(dict, list))
        return [Task(item) for item in records(data, "tasks")]

    async def retrieve(self, task_id: str, *, examples_n: int | None = None) -> Task:
        """One task's schema; ``examples_n`` asks for sample rows (read them via ``to_dict()``)."""
        params: dict[str, Any] | None = None
        if examples_n is not None:
            params = {"examples_n": require_positive_int(examples_n, "examples_n")}
        path = f"/v1/tasks/{path_segment(task_id, 'task_id')}"
        data = await self._client.request_json("GET", path, params=params, expect=dict)
        return Task(record(data, "task"))

    async def match(
        self, query: str, *, top_k: int = 5, idempotency_key: str | None = None
    ) -> TaskMatch:
        """Rank catalog tasks against a plain-English description of the job."""
        body = {
            "query": require_text(query, "query"),
            "top_k": require_positive_int(top_k, "top_k"),
        }
        key = require_idempotency_key(idempotency_key)
        data = await self._client.request_json(
            "POST", "/v1/tasks/match", json=body, expect=dict, idempotency_key=key
        )
        return TaskMatch(data)

    async def leaderboard(self, task_id: str) -> Leaderboard:
        """Open models ranked by quality and cost, with the frontier baseline."""
        path = f"/v1/tasks/{path_segment(task_id, 'task_id')}/leaderboard"
        data = await self._client.request_json("GET", path, expect=dict)
        return Leaderboard(data)

    async def recommended(self, task_id: str) -> str | None:
        """The alias ``endpoints.deploy(model="recommended")`` resolves to for this task."""
        return (await self.leaderboard(task_id)).recommended
