"""Cancelling a request, a stream, a deploy or a wait releases its connection (async only)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import anyio
import pytest

from pareta import AsyncPareta
from pareta.local import LocalServer
from tests.helpers import busy_connections

pytestmark = pytest.mark.anyio
MESSAGES = [{"role": "user", "content": "Write a long summary of the contract, effective 2026."}]


@pytest.fixture(scope="module")
def local() -> Iterator[LocalServer]:
    with LocalServer(deploy_seconds=5, eval_seconds_per_item=1.0) as server:
        yield server


async def still_usable(pa: AsyncPareta) -> None:
    completion = await pa.chat.completions.create(model="ep_contract_kie", messages=MESSAGES)
    assert completion.choices


async def test_cancelled_requests_release_their_connections(local: LocalServer) -> None:
    local.inject_fault("GET /v1/tasks latency=5")
    try:
        async with AsyncPareta(api_key=local.mint_key(), base_url=local.base_url) as pa:
            for _ in range(10):
                with anyio.move_on_after(0.05) as scope:
                    await pa.tasks.list()
                assert scope.cancelled_caught
            assert busy_connections(pa) == 0
            await still_usable(pa)
    finally:
        local.clear_faults()


async def test_streams_cancelled_in_the_handshake_release_it(local: LocalServer) -> None:
    local.inject_fault("POST /v1/chat/completions latency=5")
    try:
        async with AsyncPareta(api_key=local.mint_key(), base_url=local.base_url) as pa:
            for _ in range(10):
                stream = await pa.chat.completions.create(
                    model="ep_contract_kie", messages=MESSAGES, stream=True
                )
                with anyio.move_on_after(0.05) as scope:
                    async for _ in stream:
                        pass
                assert scope.cancelled_caught
                assert busy_connections(pa) == 0
    finally:
        local.clear_faults()
    async with AsyncPareta(api_key=local.mint_key(), base_url=local.base_url) as pa:
        await still_usable(pa)


async def test_streams_cancelled_mid_read_release_their_connections(local: LocalServer) -> None:
    async with AsyncPareta(api_key=local.mint_key(), base_url=local.base_url) as pa:
        for _ in range(30):
            stream = await pa.chat.completions.create(
                model="ep_contract_kie", messages=MESSAGES, stream=True
            )
            with anyio.CancelScope() as scope:
                async with stream:
                    async for _ in stream:
                        scope.cancel()
                        # The stream is closed from inside a cancelled scope: its clean-up
                        # must still reach the connection.
                        await anyio.lowlevel.checkpoint()
            assert scope.cancelled_caught
            assert stream.response is not None
            assert stream.response.is_closed
        assert busy_connections(pa) == 0
        await still_usable(pa)


async def test_cancelled_deploy_and_wait_release_their_connections(local: LocalServer) -> None:
    async with AsyncPareta(api_key=local.mint_key(), base_url=local.base_url) as pa:
        with anyio.move_on_after(0.3) as deploying:
            await pa.endpoints.deploy(task="contract-key-fields", wait=True)
        assert deploying.cancelled_caught
        run = await pa.evals.runs.create(
            task="contract-key-fields",
            items=[
                {"input": "Effective 2026-01-01.", "expected": {"effective_date": "2026-01-01"}}
            ],
            models=["qwen-1"],
        )
        with anyio.move_on_after(0.3) as waiting:
            await pa.evals.runs.wait(run.id or "", poll_interval=0.05)
        assert waiting.cancelled_caught
        assert busy_connections(pa) == 0
        await still_usable(pa)


# Native task cancellation is asyncio's; trio cancels through scopes, as above.
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_asyncio_task_cancellation(local: LocalServer) -> None:
    async with AsyncPareta(api_key=local.mint_key(), base_url=local.base_url) as pa:
        reading = 0
        all_reading = asyncio.Event()

        async def read_slowly() -> None:
            nonlocal reading
            stream = await pa.chat.completions.create(
                model="ep_contract_kie", messages=MESSAGES, stream=True
            )
            async with stream:
                async for _ in stream:
                    reading += 1
                    if reading == len(tasks):
                        all_reading.set()
                    await asyncio.Event().wait()  # a consumer that never finishes

        tasks = [asyncio.ensure_future(read_slowly()) for _ in range(16)]
        await all_reading.wait()
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results)
        assert busy_connections(pa) == 0
        await still_usable(pa)
