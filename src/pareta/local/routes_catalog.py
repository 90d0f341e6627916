"""The catalog: tasks, the matcher, leaderboards and the frontier roster (all free reads)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from .deps import CurrentOrg, State, json_response, not_found

router = APIRouter()


class MatchRequest(BaseModel):
    query: str = Field(min_length=1, pattern=r"\S")
    top_k: int = Field(default=5, ge=1, le=50)


@router.get("/v1/tasks")
async def list_tasks(org: CurrentOrg, state: State) -> Response:
    tasks = [state.catalog.task_json(t) for t in state.catalog.tasks.values()]
    return json_response({"object": "list", "tasks": tasks})


@router.post("/v1/tasks/match")
async def match_tasks(request: MatchRequest, org: CurrentOrg, state: State) -> Response:
    return json_response(state.matcher.match(request.query, request.top_k))


@router.get("/v1/tasks/{task_id}")
async def retrieve_task(
    task_id: str,
    org: CurrentOrg,
    state: State,
    examples_n: Annotated[int | None, Query(ge=0, le=40)] = None,
) -> Response:
    task = state.catalog.tasks.get(task_id)
    if task is None:
        raise not_found("Task", task_id)
    return json_response(state.catalog.task_json(task, examples_n))


@router.get("/v1/tasks/{task_id}/leaderboard")
async def leaderboard(task_id: str, org: CurrentOrg, state: State) -> Response:
    task = state.catalog.tasks.get(task_id)
    if task is None:
        raise not_found("Task", task_id)
    return json_response(state.catalog.leaderboard(task))


@router.get("/v1/eval/frontier-models")
async def frontier_models(org: CurrentOrg, state: State, task: str | None = None) -> Response:
    scoped = None
    if task is not None:
        scoped = state.catalog.tasks.get(task)
        if scoped is None:
            raise not_found("Task", task)
    return json_response({"frontier_models": state.catalog.frontier_roster(scoped)})
