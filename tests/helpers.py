"""Test doubles shared by the async tests and their generated sync twins."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx

BASE_URL = "https://api.test"
API_KEY = "pareta_sk_test_0123456789"

Handler = Callable[[httpx.Request], httpx.Response]


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body delivered in the given network chunks; records whether it was closed.

    ``fail_after`` raises a dropped-connection error once that many chunks went out.
    ``reads`` counts the chunks asked for, the one that meets the drop included.
    """

    def __init__(self, chunks: list[bytes], *, fail_after: int | None = None) -> None:
        self.chunks = chunks
        self.fail_after = fail_after
        self.closed = False
        self.reads = 0

    def _items(self) -> Iterator[bytes]:
        for sent, chunk in enumerate(self.chunks):
            self.reads += 1
            if self.fail_after is not None and sent >= self.fail_after:
                raise httpx.RemoteProtocolError("peer closed connection mid-stream")
            yield chunk

    def __iter__(self) -> Iterator[bytes]:
        yield from self._items()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._items():
            yield chunk

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def sse_data(*payloads: Any, done: bool = True) -> bytes:
    lines = [f"data: {json.dumps(p) if not isinstance(p, str) else p}\n\n" for p in payloads]
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def sse_events(*events: tuple[str, Any]) -> bytes:
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events).encode()


def json_response(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers={"x-request-id": "req_test", **headers})


def sse_response(body: bytes | Chunks, status: int = 200) -> httpx.Response:
    stream = body if isinstance(body, Chunks) else Chunks([body])
    return httpx.Response(
        status,
        stream=stream,
        headers={"content-type": "text/event-stream", "x-request-id": "req_stream"},
    )


class Recorder:
    """A MockTransport handler that records every request and answers from a script.

    ``responses`` is consumed in order; the last one repeats. A callable answers freely.
    """

    def __init__(self, *responses: httpx.Response | Handler) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        index = min(len(self.requests) - 1, len(self.responses) - 1)
        answer = self.responses[index]
        return answer(request) if callable(answer) else _fresh(answer)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def _fresh(response: httpx.Response) -> httpx.Response:
    """A copy, so one scripted answer can be served more than once."""
    try:
        content = response.content
    except httpx.ResponseNotRead:
        return response  # a streamed body is served once
    return httpx.Response(response.status_code, headers=response.headers, content=content)


def pool_stats(client: Any) -> list[Any]:
    """The ``ShardStats`` of each pool of an SDK-owned client (``Pareta`` or ``AsyncPareta``)."""
    stats: list[Any] = client.http_client._transport.stats()
    return stats


def busy_connections(client: Any) -> int:
    """Connections an SDK-owned pool still lends out (a released one is idle or closed);
    checks each pool lends out exactly as many as the transport has requests in flight."""
    stats = pool_stats(client)
    assert all(shard.busy == shard.requests for shard in stats), stats
    return sum(shard.busy for shard in stats)


def transport(recorder: Recorder) -> httpx.MockTransport:
    return httpx.MockTransport(recorder)
