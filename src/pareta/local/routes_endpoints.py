"""Endpoints: deploy (named-event SSE), list, retrieve, start, stop, delete, metrics."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response, StreamingResponse

from . import metrics, quotas
from .deps import (
    CurrentOrg,
    State,
    base_url,
    invalid,
    json_body,
    json_response,
    not_found,
    sse_event,
)
from .records import Endpoint, Org
from .state import NAME_RE, ServerState

router = APIRouter()

DEPLOY_STAGES = (
    ("resolving model", 5),
    ("allocating capacity", 20),
    ("pulling weights", 45),
    ("loading weights", 75),
    ("warming up", 95),
)
# Extra deploy fields the platform accepts and echoes on the endpoint record.
PASSTHROUGH_FIELDS = (
    "cost_per_request_micro_usd",
    "frontier_cost_per_request_micro_usd",
    "region",
    "provider",
    "quality",
    "run_mode",
    "taskDisplay",
)


def _endpoint(org: Org, endpoint_id: str) -> Endpoint:
    endpoint = org.endpoints.get(endpoint_id)
    if endpoint is None:
        raise not_found("Endpoint", endpoint_id)
    return endpoint


def _error_stream(message: str) -> StreamingResponse:
    async def events() -> AsyncIterator[bytes]:
        yield sse_event({"message": message}, event="error")

    return StreamingResponse(events(), media_type="text/event-stream")


@router.post("/v1/endpoints")
async def deploy(request: Request, org: CurrentOrg, state: State) -> Response:
    body = await json_body(request)
    task_id, alias, name = body.get("task"), body.get("model", "recommended"), body.get("name")
    if not isinstance(task_id, str) or not task_id:
        raise invalid(["body", "task"], "task must be a non-empty string", task_id)
    if not isinstance(alias, str) or not alias:
        raise invalid(["body", "model"], "model must be a non-empty string", alias)
    if name is not None and (not isinstance(name, str) or not NAME_RE.match(name)):
        raise invalid(["body", "name"], "name must be 1-64 letters, digits, '-', '_' or '.'", name)
    if name is not None and name in org.endpoints:
        raise HTTPException(409, f"An endpoint named {name!r} already exists.")
    quotas.check_endpoints(org, state.config.max_endpoints)
    task = state.catalog.tasks.get(task_id)
    if task is None:
        return _error_stream(f"Unknown task {task_id!r}. List tasks with GET /v1/tasks.")
    model = state.resolve_alias(task, alias)
    if model is None:
        return _error_stream(
            f"Model {alias!r} is not available for task {task_id!r}. "
            f"See GET /v1/tasks/{task_id}/leaderboard for its aliases."
        )
    now = time.time()
    endpoint = Endpoint(
        id=name or state.new_id("ep"),
        task=task,
        model=model,
        created=now,
        transitions=[(now, "starting"), (now + state.config.deploy_seconds, "live")],
        extra={k: body[k] for k in PASSTHROUGH_FIELDS if k in body},
    )
    org.endpoints[endpoint.id] = endpoint
    return StreamingResponse(
        _deploy_events(endpoint, state, base_url(request)), media_type="text/event-stream"
    )


async def _deploy_events(endpoint: Endpoint, state: ServerState, base: str) -> AsyncIterator[bytes]:
    pause = state.config.deploy_seconds / len(DEPLOY_STAGES)
    for stage, pct in DEPLOY_STAGES:
        yield sse_event({"stage": stage, "pct": pct, "endpoint_id": endpoint.id}, event="progress")
        await anyio.sleep(pause)
    if endpoint.status() == "starting":
        # The sleeps use a monotonic clock and the schedule wall time: settle any skew.
        endpoint.schedule(time.time(), (0.0, "live"))
    yield sse_event({"endpoint": endpoint.to_json(base)}, event="complete")


@router.get("/v1/endpoints")
async def list_endpoints(request: Request, org: CurrentOrg) -> Response:
    base = base_url(request)
    return json_response([ep.to_json(base) for ep in org.endpoints.values()])


@router.get("/v1/endpoints/{endpoint_id}")
async def retrieve_endpoint(endpoint_id: str, request: Request, org: CurrentOrg) -> Response:
    return json_response(_endpoint(org, endpoint_id).to_json(base_url(request)))


@router.post("/v1/endpoints/{endpoint_id}/start")
async def start_endpoint(endpoint_id: str, org: CurrentOrg, state: State) -> Response:
    endpoint = _endpoint(org, endpoint_id)
    previous = endpoint.status()
    if previous == "stopped":
        endpoint.schedule(time.time(), (0.0, "starting"), (state.config.deploy_seconds, "live"))
    return json_response(
        {"id": endpoint.id, "status": endpoint.status(), "previous_status": previous}
    )


@router.post("/v1/endpoints/{endpoint_id}/stop")
async def stop_endpoint(endpoint_id: str, org: CurrentOrg) -> Response:
    endpoint = _endpoint(org, endpoint_id)
    previous = endpoint.status()
    if previous != "stopped":
        endpoint.schedule(time.time(), (0.0, "stopped"))
    return json_response(
        {"id": endpoint.id, "status": endpoint.status(), "previous_status": previous}
    )


@router.delete("/v1/endpoints/{endpoint_id}")
async def delete_endpoint(endpoint_id: str, org: CurrentOrg) -> Response:
    endpoint = _endpoint(org, endpoint_id)
    if endpoint.seed:
        raise HTTPException(
            409, f"{endpoint_id!r} is a seed endpoint and cannot be deleted; stop it instead."
        )
    del org.endpoints[endpoint_id]
    return json_response({"id": endpoint_id, "object": "endpoint", "deleted": True})


def _metric_route(name: str) -> None:
    async def read_metric(
        endpoint_id: str, org: CurrentOrg, window: str | None = None, group_by: str | None = None
    ) -> dict[str, Any]:
        return metrics.dimension(name, _endpoint(org, endpoint_id), window, group_by)

    read_metric.__name__ = f"endpoint_{name}"
    router.add_api_route(f"/v1/endpoints/{{endpoint_id}}/{name}", read_metric, methods=["GET"])


for _dimension in ("performance", "uptime", "cost", "quality", "activity"):
    _metric_route(_dimension)
