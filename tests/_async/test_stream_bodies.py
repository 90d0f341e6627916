"""Streams read every shape of response body that users' test doubles build.

httpx's documentation teaches ``httpx.Response(200, content=...)`` in a ``MockTransport``
handler; such a body is already in memory, while a real one is still on the wire.
respx and pytest-httpx patch the transports of a client the SDK made itself.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx
import pytest
import respx
from pytest_httpx import HTTPXMock

from pareta import AsyncPareta
from tests.helpers import API_KEY, BASE_URL, Chunks, Recorder, sse_data, sse_events, transport

pytest_plugins = ["pytest_httpx"]
pytestmark = pytest.mark.anyio

MESSAGES = [{"role": "user", "content": "Extract the parties."}]
CHUNKS = [
    {"id": "c", "choices": [{"index": 0, "delta": {"content": f"part {i}"}}]} for i in range(3)
]
CHAT = sse_data(*CHUNKS)
LIVE = {"id": "ep_1", "status": "live", "model": "qwen-1"}
DEPLOY = sse_events(("progress", {"pct": 50}), ("complete", {"endpoint": LIVE}))
SSE = {"content-type": "text/event-stream"}


def body_shapes(body: bytes) -> dict[str, httpx.Response]:
    return {
        "content": httpx.Response(200, headers=SSE, content=body),
        "text": httpx.Response(200, headers=SSE, text=body.decode()),
        "gzip content": httpx.Response(
            200, headers={**SSE, "content-encoding": "gzip"}, content=gzip.compress(body)
        ),
        "stream": httpx.Response(200, headers=SSE, stream=Chunks([body[:7], body[7:]])),
    }


def client_answering(response: httpx.Response) -> AsyncPareta:
    http_client = httpx.AsyncClient(transport=transport(Recorder(lambda request: response)))
    return AsyncPareta(api_key=API_KEY, base_url=BASE_URL, http_client=http_client)


async def read_chat(pa: AsyncPareta) -> list[dict[str, Any]]:
    stream = await pa.chat.completions.create(model="ep_1", messages=MESSAGES, stream=True)
    return [chunk.to_dict() async for chunk in stream]


@pytest.mark.parametrize("shape", body_shapes(CHAT))
async def test_chat_streams_read_every_body_shape(shape: str) -> None:
    pa = client_answering(body_shapes(CHAT)[shape])
    assert await read_chat(pa) == CHUNKS


@pytest.mark.parametrize("shape", body_shapes(DEPLOY))
async def test_deploys_read_every_body_shape(shape: str) -> None:
    pa = client_answering(body_shapes(DEPLOY)[shape])
    endpoint = await pa.endpoints.deploy(task="contract-key-fields", wait=True)
    assert endpoint.id == "ep_1"


async def test_leaving_a_stream_of_a_ready_body_early() -> None:
    pa = client_answering(body_shapes(CHAT)["content"])
    stream = await pa.chat.completions.create(model="ep_1", messages=MESSAGES, stream=True)
    async with stream:
        async for chunk in stream:
            assert chunk.to_dict() == CHUNKS[0]
            break
    assert stream.response is not None
    assert stream.response.is_closed


async def test_streams_under_respx() -> None:
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        router.post("/v1/chat/completions").respond(200, headers=SSE, content=CHAT)
        async with AsyncPareta(api_key=API_KEY, base_url=BASE_URL) as pa:
            assert await read_chat(pa) == CHUNKS


async def test_streams_under_pytest_httpx(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST", url=f"{BASE_URL}/v1/chat/completions", headers=SSE, content=CHAT
    )
    async with AsyncPareta(api_key=API_KEY, base_url=BASE_URL) as pa:
        assert await read_chat(pa) == CHUNKS
    assert json.loads(httpx_mock.get_requests()[0].content)["stream"] is True
