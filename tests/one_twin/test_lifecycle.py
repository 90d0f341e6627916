"""What only one twin can show: event-loop binding (async) and forks (sync)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

import anyio
import httpx
import pytest

from pareta import APIConnectionError, AsyncPareta, ParetaError
from pareta.local import LocalServer
from tests.helpers import API_KEY, BASE_URL, Recorder, json_response, transport


def mock_client() -> AsyncPareta:
    recorder = Recorder(json_response(200, {"data": []}))
    return AsyncPareta(
        api_key=API_KEY,
        base_url=BASE_URL,
        http_client=httpx.AsyncClient(transport=transport(recorder)),
    )


async def list_models(client: AsyncPareta) -> int:
    return len(await client.models.list())


def test_async_client_used_from_another_library_fails_clearly() -> None:
    client = mock_client()
    assert anyio.run(list_models, client, backend="asyncio") == 0
    with pytest.raises(ParetaError, match=r"trio \(it was first used on asyncio\)"):
        anyio.run(list_models, client, backend="trio")


def test_async_client_used_from_a_second_loop_fails_clearly() -> None:
    client = mock_client()
    anyio.run(list_models, client, backend="trio")
    with pytest.raises(ParetaError, match="another event loop"):
        anyio.run(list_models, client, backend="trio")
    assert anyio.run(list_models, mock_client(), backend="trio") == 0


def run_against_local_server(script: str) -> str:
    """Runs ``script`` in a fresh interpreter (``argv``: base URL, key); returns its output."""
    with LocalServer() as server:
        result = subprocess.run(
            [sys.executable, "-c", script, server.base_url, server.api_key],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_forked_child_gets_a_fresh_pool_and_the_parent_keeps_its_own() -> None:
    script = textwrap.dedent(
        """
        import os, sys
        from pareta import Pareta

        pa = Pareta(api_key=sys.argv[2], base_url=sys.argv[1])
        pa.tasks.list()
        parent_pool = pa.http_client
        pid = os.fork()
        if pid == 0:
            fresh = pa.http_client is not parent_pool
            stats = pa.http_client._transport.stats()
            empty = all(shard.busy + shard.idle == 0 for shard in stats)
            ok = len(pa.tasks.list()) >= 10
            os._exit(0 if fresh and empty and ok else 3)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
        assert pa.http_client is parent_pool
        assert len(pa.tasks.list()) >= 10
        pa.close()
        print("forked ok")
        """
    )
    assert run_against_local_server(script) == "forked ok"


def test_forked_child_of_an_async_client_gets_a_fresh_pool_and_loop() -> None:
    script = textwrap.dedent(
        """
        import os, sys
        import anyio
        from pareta import AsyncPareta

        pa = AsyncPareta(api_key=sys.argv[2], base_url=sys.argv[1])

        async def tasks():
            return len(await pa.tasks.list())

        assert anyio.run(tasks) >= 10
        parent_pool = pa.http_client
        pid = os.fork()
        if pid == 0:
            # A new event loop in the child: the client was rebound, not left to the parent's.
            ok = pa.http_client is not parent_pool and anyio.run(tasks, backend="trio") >= 10
            os._exit(0 if ok else 3)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
        assert pa.http_client is parent_pool
        print("forked ok")
        """
    )
    assert run_against_local_server(script) == "forked ok"


def test_closing_an_async_client_after_its_event_loop_ended_says_so() -> None:
    # A refused connection binds the client to its loop and leaves no socket open.
    client = AsyncPareta(api_key=API_KEY, base_url="http://127.0.0.1:9", max_retries=0)
    with pytest.raises(APIConnectionError):
        asyncio.run(list_models(client))
    with pytest.raises(ParetaError, match="cannot be used from another event loop"):
        asyncio.run(client.aclose())


def test_an_async_client_that_is_never_used_closes_anywhere() -> None:
    client = AsyncPareta(api_key=API_KEY)
    anyio.run(client.aclose, backend="trio")
    assert client.http_client.is_closed
