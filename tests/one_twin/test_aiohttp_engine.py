"""The optional aiohttp engine: the same SDK behaviour on asyncio, a clear error on trio."""

from __future__ import annotations

import socket

import anyio
import httpx
import pytest

from pareta import (
    APIConnectionError,
    APITimeoutError,
    AsyncPareta,
    ChatCompletion,
    NotFoundError,
)
from pareta.local import LocalServer
from pareta.transports import AiohttpTransport

MESSAGES = [{"role": "user", "content": "Effective as of 2026-01-01, Acme and Beta."}]


@pytest.fixture(scope="module")
def local() -> object:
    with LocalServer(deploy_seconds=0.01) as server:
        yield server


async def use(base_url: str, key: str, **kwargs: object) -> list[object]:
    async with httpx.AsyncClient(transport=AiohttpTransport(), **kwargs) as http:  # type: ignore[arg-type]
        pa = AsyncPareta(api_key=key, base_url=base_url, http_client=http, max_retries=0)
        completion = await pa.chat.completions.create(model="ep_contract_kie", messages=MESSAGES)
        stream = await pa.chat.completions.create(
            model="ep_contract_kie", messages=MESSAGES, stream=True
        )
        async with stream:
            chunks = [c async for c in stream]
        tasks = await pa.tasks.list()
        try:
            await pa.endpoints.retrieve("ep_nope")
        except NotFoundError as exc:
            missing: object = exc
        ep = await pa.endpoints.deploy(task="contract-key-fields", wait=True)
        return [completion, chunks, tasks, missing, ep]


def test_the_sdk_runs_on_the_aiohttp_engine(local: LocalServer) -> None:
    completion, chunks, tasks, missing, ep = anyio.run(
        use, local.base_url, local.mint_key(), backend="asyncio"
    )
    assert isinstance(completion, ChatCompletion)
    assert completion.choices[0].message.content
    text = "".join(c.choices[0].delta.content or "" for c in chunks)  # type: ignore[attr-defined]
    assert text
    assert len(tasks) >= 10  # type: ignore[arg-type]
    assert isinstance(missing, NotFoundError)
    assert missing.request_id
    assert ep.is_live  # type: ignore[attr-defined]


def test_on_trio_it_fails_at_once_with_a_clear_error(local: LocalServer) -> None:
    with pytest.raises(RuntimeError, match="asyncio only, not trio"):
        anyio.run(use, local.base_url, local.mint_key(), backend="trio")


def test_connection_errors_and_timeouts_map_to_sdk_errors(local: LocalServer) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with pytest.raises(APIConnectionError):
        anyio.run(use, f"http://127.0.0.1:{port}", "pareta_sk_x", backend="asyncio")
    local.inject_fault("POST /v1/chat/completions latency=2")
    try:
        with pytest.raises(APITimeoutError):
            anyio.run(lambda: use(local.base_url, local.mint_key(), timeout=0.3), backend="asyncio")
    finally:
        local.clear_faults()


async def stream_until_drop(base_url: str, key: str) -> int:
    async with httpx.AsyncClient(transport=AiohttpTransport()) as http:
        pa = AsyncPareta(api_key=key, base_url=base_url, http_client=http)
        stream = await pa.chat.completions.create(
            model="ep_contract_kie", messages=MESSAGES, stream=True
        )
        received = 0
        async with stream:
            try:
                async for _ in stream:
                    received += 1
            except APIConnectionError:
                return received
        return -1


def test_a_drop_mid_stream_is_a_connection_error(local: LocalServer) -> None:
    local.inject_fault("POST /v1/chat/completions drop_after=1")
    try:
        received = anyio.run(stream_until_drop, local.base_url, local.mint_key(), backend="asyncio")
    finally:
        local.clear_faults()
    assert received == 1


def test_aiohttp_failures_map_to_httpx_errors() -> None:
    import asyncio

    import aiohttp

    from pareta.transports import _map_error

    request = httpx.Request("GET", "http://x/")
    assert isinstance(_map_error(asyncio.TimeoutError(), request), httpx.ReadTimeout)
    assert isinstance(
        _map_error(aiohttp.ServerDisconnectedError(), request), httpx.RemoteProtocolError
    )
    other = _map_error(aiohttp.ClientError(), request)
    assert type(other) is httpx.ReadError
    assert str(other) == "ClientError"
