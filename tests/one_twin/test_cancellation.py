"""Cancelling a request, a stream, a deploy or a wait releases its connection (async only)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any

import anyio
import httpx
import pytest

from pareta import AsyncPareta
from pareta.local import LocalServer
from tests.helpers import busy_connections, pool_stats

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


# A storm: far more concurrent calls than the client's 256 connections, each cancelled at a
# random moment around the server's latency, so cancellations land while requests wait
# for a connection, connect, send and read, and while the pool hands connections over.
STORM_CALLS = 800
STORM_LATENCY = 0.1
Cancel = Callable[[Callable[[], Awaitable[object]], float], Coroutine[Any, Any, None]]


async def move_on_after(call: Callable[[], Awaitable[object]], after: float) -> None:
    with anyio.move_on_after(after):
        await call()


async def fail_after(call: Callable[[], Awaitable[object]], after: float) -> None:
    try:
        with anyio.fail_after(after):
            await call()
    except TimeoutError:
        pass


async def scope_cancelled(call: Callable[[], Awaitable[object]], after: float) -> None:
    # Cancelled by another task, the way trio and anyio code stops work it started.
    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as tg:

            async def cancel_later() -> None:
                await anyio.sleep(after)
                scope.cancel()

            tg.start_soon(cancel_later)
            await call()
            tg.cancel_scope.cancel()


async def task_cancelled(call: Callable[[], Awaitable[object]], after: float) -> None:
    task = asyncio.ensure_future(call())
    asyncio.get_running_loop().call_later(after, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def wait_for(call: Callable[[], Awaitable[object]], after: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(call(), after)


@pytest.fixture
def slow(local: LocalServer) -> Iterator[LocalServer]:
    local.inject_fault(f"GET /v1/tasks latency={STORM_LATENCY}")
    try:
        yield local
    finally:
        local.clear_faults()


async def storm(pa: AsyncPareta, cancel: Cancel) -> None:
    rng = random.Random(12)
    async with anyio.create_task_group() as tg:
        for _ in range(STORM_CALLS):
            tg.start_soon(cancel, pa.tasks.list, rng.random() * STORM_LATENCY * 2.5)


async def full_concurrency_again(pa: AsyncPareta, local: LocalServer) -> None:
    local.clear_faults()
    done = 0

    async def call() -> None:
        nonlocal done
        assert await pa.tasks.list()
        done += 1

    async with anyio.create_task_group() as tg:
        for _ in range(256):
            tg.start_soon(call)
    assert done == 256
    assert busy_connections(pa) == 0


def storm_client(local: LocalServer) -> AsyncPareta:
    # A short pool timeout: a call sent to a pool with no slot left fails here in seconds.
    timeout = httpx.Timeout(30.0, pool=5.0)
    return AsyncPareta(
        api_key=local.mint_key(), base_url=local.base_url, timeout=timeout, max_retries=0
    )


@pytest.mark.slow
@pytest.mark.parametrize("cancel", [move_on_after, fail_after, scope_cancelled])
async def test_a_cancellation_storm_leaks_no_connection(slow: LocalServer, cancel: Cancel) -> None:
    async with storm_client(slow) as pa:
        for _ in range(2):
            await storm(pa, cancel)
            assert busy_connections(pa) == 0
            assert all(shard.requests == 0 for shard in pool_stats(pa))
        await full_concurrency_again(pa, slow)


@pytest.mark.slow
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("cancel", [task_cancelled, wait_for])
async def test_an_asyncio_cancellation_storm_leaks_no_connection(
    slow: LocalServer, cancel: Cancel
) -> None:
    async with storm_client(slow) as pa:
        for _ in range(2):
            await storm(pa, cancel)
            assert busy_connections(pa) == 0
        await full_concurrency_again(pa, slow)
