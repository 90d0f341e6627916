"""``pareta mcp --http PORT``: the same walk over streamable HTTP, with one spending cap
shared by every session of the server."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from pareta.local import LocalServer

from . import scenarios
from .helpers import LEAKED_BY_THE_CLIENT, data, fresh_key, http_server, over_http, server_env

pytestmark = [pytest.mark.anyio, pytest.mark.slow, LEAKED_BY_THE_CLIENT]


@pytest.fixture(autouse=True)
def _collect_the_client_leaks() -> Iterator[None]:
    yield
    gc.collect()  # while the filter above still holds


async def test_the_funnel_the_cap_and_a_cancelled_wait_over_http(slow: LocalServer) -> None:
    key = fresh_key()
    with http_server(server_env(slow, key), ["--max-spend-usd", "0.002"]) as server:
        url = server.wait_ready()
        assert urlsplit(url).hostname == "127.0.0.1"  # this machine only, unless told
        async with over_http(url) as session:
            await scenarios.list_tools_with_annotations(session)
            await scenarios.send_bad_arguments(session)
            await scenarios.cancel_a_wait(session)
            await scenarios.hit_the_cap(session, slow, key, cap=2_000)
        # A second session meets the same cap: it is the server's, not the session's.
        async with over_http(url) as second:
            spending = data(await second.call_tool("spending", {}))
            assert spending["remaining_micro_usd"] < 2_000 - spending["held_micro_usd"]
    assert key not in server.stop()


async def test_the_funnel_over_http(local: LocalServer) -> None:
    key = fresh_key()
    with http_server(server_env(local, key), ["--log-level", "INFO"]) as server:
        async with over_http(server.wait_ready()) as session:
            await scenarios.walk_the_funnel(session, local, key)
    said = server.stop()
    assert "HTTP Request: POST" in said and key not in said
