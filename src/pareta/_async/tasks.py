"""``tasks``: the benchmark catalog, the intent matcher, and per-task leaderboards."""

from __future__ import annotations

import builtins
from typing import Any

import httpx

from .._checks import path_segment, require_idempotency_key, require_positive_int, require_text
from .._objects.envelopes import record, records
from .._objects.models import Task, TaskMatch
from .._objects.rankings import Leaderboard
from .._options import Body, Headers, Query, request_options
from ._http import AsyncAPIClient


class AsyncTasks:
    # Where the resource hangs off the client: a batch job names its method by it.
    _resource = "tasks"

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def list(
        self,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> builtins.list[Task]:
        """Every benchmark task in the catalog."""
        answer = await self._client.request_answer(
            "GET",
            "/v1/tasks",
            expect=(dict, list),
            options=request_options(extra_headers, extra_query, extra_body, timeout),
        )
        tasks = [Task(item) for item in records(answer.body, "tasks")]
        for task in tasks:
            self._remember(task)
        return answer.stamp(tasks)

    async def retrieve(
        self,
        task_id: str,
        *,
        examples_n: int | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> Task:
        """One task's schema; ``examples_n`` asks for sample rows (read them via ``to_dict()``)."""
        params: dict[str, Any] | None = None
        if examples_n is not None:
            params = {"examples_n": require_positive_int(examples_n, "examples_n")}
        path = f"/v1/tasks/{path_segment(task_id, 'task_id')}"
        answer = await self._client.request_answer(
            "GET",
            path,
            params=params,
            expect=dict,
            options=request_options(extra_headers, extra_query, extra_body, timeout),
        )
        task = Task(record(answer.body, "task"))
        self._remember(task)
        return answer.stamp(task)

    def _remember(self, task: Task) -> None:
        # What a row of the task holds: eval sets made through this client are checked
        # against it (``evals.sets.create``) without another request.
        if task.id and isinstance(task.get("input_schema"), dict):
            self._client.tasks_read[task.id] = task.to_dict()

    async def match(
        self,
        query: str,
        *,
        top_k: int = 5,
        idempotency_key: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> TaskMatch:
        """Rank catalog tasks against a plain-English description of the job."""
        body = {
            "query": require_text(query, "query"),
            "top_k": require_positive_int(top_k, "top_k"),
        }
        key = require_idempotency_key(idempotency_key)
        answer = await self._client.request_answer(
            "POST",
            "/v1/tasks/match",
            json=body,
            expect=dict,
            idempotency_key=key,
            options=request_options(extra_headers, extra_query, extra_body, timeout),
        )
        return answer.stamp(TaskMatch(answer.body))

    async def leaderboard(
        self,
        task_id: str,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> Leaderboard:
        """Open models ranked by quality and cost, with the frontier baseline."""
        path = f"/v1/tasks/{path_segment(task_id, 'task_id')}/leaderboard"
        answer = await self._client.request_answer(
            "GET",
            path,
            expect=dict,
            options=request_options(extra_headers, extra_query, extra_body, timeout),
        )
        return answer.stamp(Leaderboard(answer.body))

    async def recommended(
        self,
        task_id: str,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> str | None:
        """The alias ``endpoints.deploy(model="recommended")`` resolves to for this task."""
        board = await self.leaderboard(
            task_id,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
        )
        return board.recommended
