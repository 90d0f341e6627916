"""What differs between the two forms of a batch job: the sync job iterates like any sync
object, the async one inside ``async with``; each says so in its own terms."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import anyio.lowlevel
import httpx
import pytest

from pareta import AsyncPareta, Pareta, ParetaError
from tests._async.test_batch import Server as AsyncServer
from tests._async.test_batch import client as client_async
from tests._async.test_batch import rows
from tests._sync.test_batch import Server
from tests._sync.test_batch import client as sync_client
from tests.helpers import API_KEY, BASE_URL, Recorder, json_response


async def nothing() -> AsyncIterator[dict[str, object]]:
    yield {"model": "ep_1", "messages": [{"role": "user", "content": "hi"}]}


def test_an_async_iterable_needs_the_async_client() -> None:
    recorder = Recorder(json_response(200, {"choices": []}))
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    rows = nothing()
    with (
        Pareta(api_key=API_KEY, base_url=BASE_URL, http_client=http) as pa,
        pytest.raises(TypeError, match=r"AsyncPareta\.batch"),
    ):
        pa.batch(pa.chat.completions.create, rows).wait()
    assert recorder.requests == []
    http.close()


def test_a_sync_job_iterates_without_with_and_runs_each_row_once() -> None:
    server = Server()
    with sync_client(server) as pa:
        results = list(pa.batch(pa.chat.completions.create, rows(5), key="id"))
    assert sorted(r.key for r in results) == [f"r{i}" for i in range(5)]
    assert all(r.ok for r in results)
    assert sorted(server.billed.values()) == [1] * 5


def test_a_sync_loop_that_breaks_stops_its_job_cleanly() -> None:
    server = Server()
    with sync_client(server) as pa:
        job = pa.batch(pa.chat.completions.create, rows(2000), key="id", max_in_flight=4)
        for _ in job:
            break
        assert job.stats.stopped == "closed"
        assert job.stats.in_flight == 0  # what was under way finished before the loop left
        sent = len(server.keys)
    assert sent < 2000
    assert job.stats.finished == sent
    with pytest.raises(ParetaError, match="runs once"):
        list(job)


def test_a_sync_jobs_messages_speak_of_the_sync_client() -> None:
    with sync_client(Server()) as pa:
        job = pa.batch(pa.chat.completions.create, rows(1))
        job.wait()
        with pytest.raises(ParetaError) as caught:
            job.wait()
    assert "await" not in str(caught.value) and "async" not in str(caught.value)


@pytest.mark.anyio
async def test_an_async_job_iterates_only_inside_async_with() -> None:
    server = AsyncServer()
    pa: AsyncPareta
    async with client_async(server) as pa:
        job = pa.batch(pa.chat.completions.create, rows(3))
        with pytest.raises(ParetaError, match=r"async with client\.batch"):
            async for _ in job:
                pass  # pragma: no cover - refused before the first row
    assert server.keys == []


@pytest.mark.slow
@pytest.mark.anyio
@pytest.mark.parametrize("checkpoints", [0, 1, 2, 3, 5, 8, 13])
async def test_an_async_job_cancelled_as_it_starts_leaves_nothing_open(
    checkpoints: int, tmp_path: Path
) -> None:
    pa: AsyncPareta
    async with client_async(AsyncServer()) as pa:
        job = pa.batch(pa.chat.completions.create, rows(50), output=tmp_path / "out.jsonl")
        async with anyio.create_task_group() as group:
            group.start_soon(job.wait)
            for _ in range(checkpoints):
                await anyio.lowlevel.checkpoint()
            group.cancel_scope.cancel()
        gc.collect()  # an unclosed queue or file would warn here, failing the test
