"""A user's own trio test suite, run by ``tests/system/test_user_suites.py`` under ``-W error``
with none of this project's warning filters: how users test code that streams."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pareta import AsyncPareta
from pareta.local import LocalServer

pytest_plugins = ["pareta.local.pytest_plugin"]
pytestmark = pytest.mark.anyio

CHUNK = {"id": "c", "choices": [{"index": 0, "delta": {"content": "hi"}}]}
CHAT = f"data: {json.dumps(CHUNK)}\n\n" * 5 + "data: [DONE]\n\n"
LIVE = {"id": "ep_1", "status": "live", "model": "qwen-1"}
DEPLOY = "".join(
    f"event: {name}\ndata: {json.dumps(data)}\n\n"
    for name, data in [("progress", {"pct": 50}), ("complete", {"endpoint": LIVE})]
)
MESSAGES = [{"role": "user", "content": "Summarise the contract."}]


@pytest.fixture
def anyio_backend() -> str:
    return "trio"


def mocked(**body: Any) -> AsyncPareta:
    """httpx's own testing idiom: a MockTransport handler answering with a ready body."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, **body)

    http_client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AsyncPareta(
        api_key="pareta_sk_test", base_url="https://api.test", http_client=http_client
    )


async def test_chat_stream_of_a_text_body() -> None:
    stream = await mocked(text=CHAT).chat.completions.create(
        model="ep_1", messages=MESSAGES, stream=True
    )
    assert [chunk.choices[0].delta.content async for chunk in stream] == ["hi"] * 5


async def test_leaving_mocked_streams_early() -> None:
    pa = mocked(content=CHAT.encode())
    for _ in range(20):
        async with await pa.chat.completions.create(
            model="ep_1", messages=MESSAGES, stream=True
        ) as stream:
            async for _ in stream:
                break


async def test_deploy_and_wait_mocked() -> None:
    endpoint = await mocked(text=DEPLOY).endpoints.deploy(task="contract-key-fields", wait=True)
    assert endpoint.id == "ep_1"


async def test_leaving_streams_early_over_sockets(pareta_local: LocalServer) -> None:
    async with AsyncPareta(api_key=pareta_local.api_key, base_url=pareta_local.base_url) as pa:
        for _ in range(20):
            async with await pa.chat.completions.create(
                model="ep_contract_kie", messages=MESSAGES, stream=True
            ) as stream:
                async for _ in stream:
                    break


async def test_deploy_and_wait_over_sockets(pareta_local: LocalServer) -> None:
    async with AsyncPareta(api_key=pareta_local.api_key, base_url=pareta_local.base_url) as pa:
        endpoint = await pa.endpoints.deploy(task="contract-key-fields", wait=True)
        assert endpoint.is_live
