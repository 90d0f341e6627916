"""Tools for endpoints: list, deploy (progress as notifications), start, stop, delete
(only with ``confirm``), and metrics."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from .._exceptions import APIStreamError, ParetaError, printable
from .._objects.models import Endpoint
from .backend import Backend
from .schemas import EndpointActionOut, EndpointListOut, EndpointOut, MetricsOut
from .tooling import CREATE, DESTROY, READ, SWITCH, tool

EndpointId = Annotated[str, Field(min_length=1, description="an endpoint id, e.g. ep_a1b2c3")]
Dimension = Literal["performance", "uptime", "cost", "quality", "activity"]


def endpoint_out(endpoint: Endpoint) -> EndpointOut:
    return EndpointOut(
        id=endpoint.id or "",
        name=endpoint.name,
        task=endpoint.task,
        model=endpoint.model,
        status=endpoint.status,
        url=endpoint.url,
    )


def _deploy_failure(why: object, task: str, request_id: str | None) -> ParetaError:
    text = printable(f"deploy of task {task!r} failed: {why}")
    return APIStreamError(text, detail=text, request_id=request_id)


def register(app: MCPServer, backend: Backend) -> None:
    @tool(app, backend, title="List endpoints", annotations=READ)
    async def endpoints_list() -> EndpointListOut:
        """Every endpoint the org can call, in any status."""
        endpoints = await backend.client().endpoints.list()
        return EndpointListOut(endpoints=[endpoint_out(e) for e in endpoints])

    @tool(app, backend, title="Deploy an endpoint", annotations=CREATE)
    async def endpoint_deploy(
        ctx: Context,
        task_id: Annotated[str, Field(min_length=1)],
        model: Annotated[
            str, Field(description='an open model on the task\'s leaderboard, or "recommended"')
        ] = "recommended",
        name: Annotated[str | None, Field(description="an id of your choosing")] = None,
    ) -> EndpointOut:
        """Deploy an open model for a task (Pareta picks the hardware) and wait until it is
        live; deploy stages arrive as progress. A live endpoint accrues cost until stopped."""
        stream = await backend.client().endpoints.deploy(task=task_id, model=model, name=name)
        async with stream:
            async for event in stream:
                data = event["data"]
                if event["event"] == "progress" and isinstance(data, dict):
                    pct = data.get("pct")
                    await ctx.report_progress(
                        float(pct) if isinstance(pct, (int, float)) else 0.0,
                        100.0,
                        str(data.get("stage") or "deploying"),
                    )
                elif event["event"] == "error":
                    why = data.get("message") if isinstance(data, dict) else None
                    raise _deploy_failure(why or data, task_id, stream.request_id)
                elif event["event"] == "complete":
                    record = data.get("endpoint") if isinstance(data, dict) else None
                    if not isinstance(record, dict):
                        why = f"it completed without an endpoint record ({data!r})"
                        raise _deploy_failure(why, task_id, stream.request_id)
                    return endpoint_out(Endpoint(record))
        # The stream raises APIConnectionError itself when it ends before complete or error.
        raise AssertionError("unreachable")  # pragma: no cover

    @tool(app, backend, title="Start an endpoint", annotations=SWITCH)
    async def endpoint_start(endpoint_id: EndpointId) -> EndpointActionOut:
        """Resume a stopped endpoint."""
        response = await backend.client().endpoints.start(endpoint_id)
        return EndpointActionOut(endpoint_id=endpoint_id, action="start", response=response)

    @tool(app, backend, title="Stop an endpoint", annotations=SWITCH)
    async def endpoint_stop(endpoint_id: EndpointId) -> EndpointActionOut:
        """Pause a live endpoint: it stops accruing cost and stops serving until started."""
        response = await backend.client().endpoints.stop(endpoint_id)
        return EndpointActionOut(endpoint_id=endpoint_id, action="stop", response=response)

    @tool(app, backend, title="Delete an endpoint (irreversible)", annotations=DESTROY)
    async def endpoint_delete(
        endpoint_id: EndpointId,
        confirm: Annotated[
            bool, Field(description="must be true: deleting cannot be undone; ask the user first")
        ] = False,
    ) -> EndpointActionOut:
        """Delete an endpoint for good. Refused unless confirm is true."""
        if confirm is not True:
            raise ValueError(
                f"deleting {endpoint_id} cannot be undone: ask the user, then call again with "
                "confirm=true (endpoint_stop pauses it instead)"
            )
        await backend.client().endpoints.delete(endpoint_id)
        return EndpointActionOut(endpoint_id=endpoint_id, action="delete")

    @tool(app, backend, title="Endpoint metrics", annotations=READ)
    async def endpoint_metrics(
        endpoint_id: EndpointId,
        dimension: Dimension = "performance",
        params: Annotated[
            dict[str, str] | None,
            Field(description='query parameters, e.g. {"window": "24h"} or {"group_by": "day"}'),
        ] = None,
    ) -> MetricsOut:
        """Latency (performance), uptime, cost and savings against the frontier, judged
        quality, or activity of one endpoint."""
        metrics = backend.client().endpoints.metrics(endpoint_id)
        report = await getattr(metrics, dimension)(**(params or {}))
        return MetricsOut(endpoint_id=endpoint_id, dimension=dimension, report=dict(report))
