"""``endpoints``: deploy, operate and measure inference endpoints."""

from __future__ import annotations

import builtins
from typing import Any, Literal, overload

from .._checks import path_segment, require_text
from .._envelopes import record, records
from .._exceptions import ParetaError, printable
from .._models import Endpoint
from ._http import AsyncAPIClient
from ._streaming import AsyncDeployStream


class AsyncMetrics:
    """Observability for one endpoint; each dimension is one GET with ``**params`` as query."""

    def __init__(self, client: AsyncAPIClient, endpoint_id: str) -> None:
        self._client = client
        self.endpoint_id = endpoint_id
        self._path = f"/v1/endpoints/{path_segment(endpoint_id, 'endpoint_id')}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint_id={self.endpoint_id!r})"

    async def _dimension(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        data = await self._client.request_json(
            "GET", f"{self._path}/{name}", params=params or None, expect=dict
        )
        result: dict[str, Any] = data
        return result

    async def performance(self, **params: Any) -> dict[str, Any]:
        """p50/p95/p99 latency."""
        return await self._dimension("performance", params)

    async def uptime(self, **params: Any) -> dict[str, Any]:
        """Availability."""
        return await self._dimension("uptime", params)

    async def cost(self, **params: Any) -> dict[str, Any]:
        """Per-endpoint spend and savings against the frontier baseline."""
        return await self._dimension("cost", params)

    async def quality(self, **params: Any) -> dict[str, Any]:
        """Judge-window quality scores."""
        return await self._dimension("quality", params)

    async def activity(self, **params: Any) -> dict[str, Any]:
        """Usage statistics."""
        return await self._dimension("activity", params)


class AsyncEndpoints:
    # Where the resource hangs off the client: the sync fan-out finds its async twin.
    _path = "endpoints"

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    @overload
    async def deploy(
        self,
        *,
        task: str,
        model: str = "recommended",
        name: str | None = None,
        wait: Literal[False] = False,
        **extra: Any,
    ) -> AsyncDeployStream: ...

    @overload
    async def deploy(
        self,
        *,
        task: str,
        model: str = "recommended",
        name: str | None = None,
        wait: Literal[True],
        **extra: Any,
    ) -> Endpoint: ...

    @overload
    async def deploy(
        self,
        *,
        task: str,
        model: str = "recommended",
        name: str | None = None,
        wait: bool,
        **extra: Any,
    ) -> AsyncDeployStream | Endpoint: ...

    async def deploy(
        self,
        *,
        task: str,
        model: str = "recommended",
        name: str | None = None,
        wait: bool = False,
        **extra: Any,
    ) -> AsyncDeployStream | Endpoint:
        """Deploy ``model`` for ``task``: a stream of progress events, or (``wait=True``)
        the live ``Endpoint``. Pareta picks the hardware; there is no GPU knob."""
        body: dict[str, Any] = {
            "task": require_text(task, "task"),
            "model": require_text(model, "model"),
        }
        if name is not None:
            body["name"] = name
        body.update(extra)
        request = self._client.build("POST", "/v1/endpoints", json=body, accept="text/event-stream")
        stream = AsyncDeployStream(self._client, request)
        if not wait:
            return stream
        async with stream:
            async for event in stream:
                data = event["data"]
                if event["event"] == "error":
                    message = data.get("message") if isinstance(data, dict) else data
                    raise ParetaError(
                        printable(
                            f"deploy of task {task!r} failed: {message or data} "
                            f"(request id {stream.request_id})"
                        )
                    )
                if event["event"] == "complete":
                    endpoint = data.get("endpoint") if isinstance(data, dict) else None
                    if isinstance(endpoint, dict):
                        return Endpoint(endpoint)
                    raise ParetaError(
                        printable(
                            f"deploy of task {task!r} completed without an endpoint record: "
                            f"{data!r}"
                        )
                    )
        # The stream itself raises APIConnectionError when it ends before complete or error.
        raise AssertionError("unreachable")  # pragma: no cover

    async def list(self) -> builtins.list[Endpoint]:
        """Every endpoint the org can access, in any status."""
        data = await self._client.request_json("GET", "/v1/endpoints", expect=(list, dict))
        return [Endpoint(item) for item in records(data, "endpoints")]

    async def retrieve(self, endpoint_id: str) -> Endpoint:
        path = f"/v1/endpoints/{path_segment(endpoint_id, 'endpoint_id')}"
        data = await self._client.request_json("GET", path, expect=dict)
        return Endpoint(record(data, "endpoint"))

    async def start(self, endpoint_id: str) -> dict[str, Any]:
        """Resume a stopped endpoint; returns the server's status body."""
        return await self._action(endpoint_id, "start")

    async def stop(self, endpoint_id: str) -> dict[str, Any]:
        """Pause a live endpoint; returns the server's status body."""
        return await self._action(endpoint_id, "stop")

    async def _action(self, endpoint_id: str, action: str) -> dict[str, Any]:
        path = f"/v1/endpoints/{path_segment(endpoint_id, 'endpoint_id')}/{action}"
        data = await self._client.request_json("POST", path)
        return data if isinstance(data, dict) else {"result": data}

    async def delete(self, endpoint_id: str) -> None:
        path = f"/v1/endpoints/{path_segment(endpoint_id, 'endpoint_id')}"
        await self._client.request_json("DELETE", path)

    def metrics(self, endpoint_id: str) -> AsyncMetrics:
        """A handle on the endpoint's five metric dimensions (no I/O until you call one)."""
        return AsyncMetrics(self._client, endpoint_id)
