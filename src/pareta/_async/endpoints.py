"""``endpoints``: deploy, operate and measure inference endpoints."""

from __future__ import annotations

import builtins
from time import monotonic
from typing import Any, Literal, overload

import httpx

from .._checks import path_segment, require_idempotency_key, require_text
from .._exceptions import APITimeoutError, ParetaError, printable, request_id_text
from .._objects.envelopes import record, records
from .._objects.metric_report import MetricReport
from .._objects.models import Endpoint
from .._options import Body, Headers, Query, RequestOptions, request_options
from .._twins import AsyncDeadline
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

    async def _dimension(
        self, name: str, params: dict[str, Any], options: RequestOptions | None
    ) -> MetricReport:
        answer = await self._client.request_answer(
            "GET", f"{self._path}/{name}", params=params or None, expect=dict, options=options
        )
        return answer.stamp(MetricReport(answer.body))

    async def performance(
        self,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
        **params: Any,
    ) -> MetricReport:
        """p50/p95/p99 latency."""
        return await self._dimension(
            "performance", params, request_options(extra_headers, extra_query, extra_body, timeout)
        )

    async def uptime(
        self,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
        **params: Any,
    ) -> MetricReport:
        """Availability."""
        return await self._dimension(
            "uptime", params, request_options(extra_headers, extra_query, extra_body, timeout)
        )

    async def cost(
        self,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
        **params: Any,
    ) -> MetricReport:
        """Per-endpoint spend and savings against the frontier baseline."""
        return await self._dimension(
            "cost", params, request_options(extra_headers, extra_query, extra_body, timeout)
        )

    async def quality(
        self,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
        **params: Any,
    ) -> MetricReport:
        """Judge-window quality scores."""
        return await self._dimension(
            "quality", params, request_options(extra_headers, extra_query, extra_body, timeout)
        )

    async def activity(
        self,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
        **params: Any,
    ) -> MetricReport:
        """Usage statistics."""
        return await self._dimension(
            "activity", params, request_options(extra_headers, extra_query, extra_body, timeout)
        )


class AsyncEndpoints:
    # Where the resource hangs off the client: a batch job names its method by it.
    _resource = "endpoints"

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
        idempotency_key: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
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
        idempotency_key: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
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
        idempotency_key: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
        **extra: Any,
    ) -> AsyncDeployStream | Endpoint: ...

    async def deploy(
        self,
        *,
        task: str,
        model: str = "recommended",
        name: str | None = None,
        wait: bool = False,
        idempotency_key: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
        **extra: Any,
    ) -> AsyncDeployStream | Endpoint:
        """Deploy ``model`` for ``task``: a stream of progress events, or (``wait=True``)
        the live ``Endpoint``. Pareta picks the hardware; there is no GPU knob."""
        key = require_idempotency_key(idempotency_key)
        options = request_options(extra_headers, extra_query, extra_body, timeout)
        body: dict[str, Any] = {
            "task": require_text(task, "task"),
            "model": require_text(model, "model"),
        }
        if name is not None:
            body["name"] = name
        body.update(extra)
        request = self._client.build(
            "POST",
            "/v1/endpoints",
            json=body,
            accept="text/event-stream",
            idempotency_key=key,
            options=options,
        )
        stream = AsyncDeployStream(self._client, request)
        if not wait:
            return stream
        seconds = self._client.bounds.call_timeout
        if seconds is None:
            return await self._endpoint_of(stream, task)
        # Progress events keep the stream alive as long as the server sends them: the
        # whole wait is one call, bounded like any other by ``call_timeout``.
        deadline = monotonic() + seconds
        try:
            with AsyncDeadline(deadline):
                return await self._endpoint_of(stream, task)
        except (TimeoutError, APITimeoutError) as exc:
            if isinstance(exc, APITimeoutError) and monotonic() < deadline:
                raise  # the stream's own stream_idle_timeout, not the wait's
            raise APITimeoutError(
                printable(
                    f"deploy of task {task!r} did not finish within call_timeout={seconds:g}s "
                    f"(request id {request_id_text(stream.request_id)}); it goes on "
                    "server-side: find it with endpoints.list(), or pass a larger "
                    "call_timeout= to the client (or None) to wait longer"
                )
            ) from None

    async def _endpoint_of(self, stream: AsyncDeployStream, task: str) -> Endpoint:
        async with stream:
            async for event in stream:
                data = event["data"]
                if event["event"] == "error":
                    message = data.get("message") if isinstance(data, dict) else data
                    raise ParetaError(
                        printable(
                            f"deploy of task {task!r} failed: {message or data} "
                            f"(request id {request_id_text(stream.request_id)})"
                        )
                    )
                if event["event"] == "complete":
                    endpoint = data.get("endpoint") if isinstance(data, dict) else None
                    if isinstance(endpoint, dict):
                        live = Endpoint(endpoint)
                        live._rid = stream.request_id
                        return live
                    raise ParetaError(
                        printable(
                            f"deploy of task {task!r} completed without an endpoint record: "
                            f"{data!r}"
                        )
                    )
        # The stream itself raises APIConnectionError when it ends before complete or error.
        raise AssertionError("unreachable")  # pragma: no cover

    async def list(
        self,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> builtins.list[Endpoint]:
        """Every endpoint the org can access, in any status."""
        answer = await self._client.request_answer(
            "GET",
            "/v1/endpoints",
            expect=(list, dict),
            options=request_options(extra_headers, extra_query, extra_body, timeout),
        )
        return answer.stamp([Endpoint(item) for item in records(answer.body, "endpoints")])

    async def retrieve(
        self,
        endpoint_id: str,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> Endpoint:
        path = f"/v1/endpoints/{path_segment(endpoint_id, 'endpoint_id')}"
        answer = await self._client.request_answer(
            "GET",
            path,
            expect=dict,
            options=request_options(extra_headers, extra_query, extra_body, timeout),
        )
        return answer.stamp(Endpoint(record(answer.body, "endpoint")))

    async def start(
        self,
        endpoint_id: str,
        *,
        idempotency_key: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> dict[str, Any]:
        """Resume a stopped endpoint; returns the server's status body."""
        return await self._action(
            endpoint_id,
            "start",
            idempotency_key,
            request_options(extra_headers, extra_query, extra_body, timeout),
        )

    async def stop(
        self,
        endpoint_id: str,
        *,
        idempotency_key: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> dict[str, Any]:
        """Pause a live endpoint; returns the server's status body."""
        return await self._action(
            endpoint_id,
            "stop",
            idempotency_key,
            request_options(extra_headers, extra_query, extra_body, timeout),
        )

    async def _action(
        self,
        endpoint_id: str,
        action: str,
        idempotency_key: str | None,
        options: RequestOptions | None,
    ) -> dict[str, Any]:
        path = f"/v1/endpoints/{path_segment(endpoint_id, 'endpoint_id')}/{action}"
        key = require_idempotency_key(idempotency_key)
        data = await self._client.request_json("POST", path, idempotency_key=key, options=options)
        return data if isinstance(data, dict) else {"result": data}

    async def delete(
        self,
        endpoint_id: str,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> None:
        path = f"/v1/endpoints/{path_segment(endpoint_id, 'endpoint_id')}"
        await self._client.request_json(
            "DELETE", path, options=request_options(extra_headers, extra_query, extra_body, timeout)
        )

    def metrics(self, endpoint_id: str) -> AsyncMetrics:
        """A handle on the endpoint's five metric dimensions (no I/O until you call one)."""
        return AsyncMetrics(self._client, endpoint_id)
