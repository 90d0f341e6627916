"""Waits under hostile servers: a wait's timeout and a deploy's deadline hold however slow
or endless the server's answers are, and their messages stay bounded."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pareta import APITimeoutError, AsyncPareta, ParetaError
from tests.helpers import API_KEY
from tests.hostile import Connection, HostileServer

pytestmark = pytest.mark.anyio


def client_of(server: HostileServer, **kwargs: Any) -> AsyncPareta:
    options: dict[str, Any] = {"max_retries": 0, "timeout": 60.0, **kwargs}
    return AsyncPareta(api_key=API_KEY, base_url=server.base_url, **options)


def run_answer(status: str) -> bytes:
    return json.dumps({"run": {"id": "run_1", "status": status}, "results": []}).encode()


def never_answers(conn: Connection) -> None:
    conn.read_request()
    while True:  # until the server gives up, long after the wait's timeout
        conn.pause()


async def test_a_wait_ends_at_its_timeout_while_a_poll_hangs() -> None:
    with HostileServer(never_answers) as server:
        async with client_of(server) as client:
            with pytest.raises(ParetaError, match="did not finish within 1s") as info:
                await client.evals.runs.wait("run_1", timeout=1.0)
    assert not isinstance(info.value, APITimeoutError)  # the wait's error, not a call's
    assert len(server.heads) == 1


def running_forever(status: str) -> Any:
    body = run_answer(status)

    def script(conn: Connection) -> None:
        while True:
            conn.read_request()
            conn.head("200 OK", "application/json", f"content-length: {len(body)}")
            conn.send(body)

    return script


async def test_a_wait_quotes_the_last_status_bounded() -> None:
    with HostileServer(running_forever("\u202e" + "x" * 100_000)) as server:
        async with client_of(server) as client:
            with pytest.raises(ParetaError, match=r"did not finish within 0\.3s") as info:
                await client.evals.runs.wait("run_1", timeout=0.3, poll_interval=0.05)
    message = str(info.value)
    assert "last status '\\u202exxx" in message
    assert "\u202e" not in message
    assert len(message) < 400


def endless_progress(conn: Connection) -> None:
    conn.read_request()
    conn.head("200 OK", "text/event-stream", "connection: close")
    while True:
        conn.send(b'event: progress\ndata: {"stage": "provisioning"}\n\n')
        conn.pause()


async def test_a_deploy_wait_ends_at_call_timeout_however_long_progress_goes_on() -> None:
    with HostileServer(endless_progress) as server:
        async with client_of(server, call_timeout=1.0) as client:
            with pytest.raises(
                APITimeoutError, match=r"deploy of task 't' did not finish within call_timeout=1s"
            ):
                await client.endpoints.deploy(task="t", wait=True)


async def test_a_deploy_wait_keeps_stream_idle_timeout_inside_call_timeout() -> None:
    with HostileServer(never_answers) as server:
        async with client_of(server, call_timeout=30.0, stream_idle_timeout=0.5) as client:
            with pytest.raises(APITimeoutError, match=r"stream_idle_timeout=0\.5s"):
                await client.endpoints.deploy(task="t", wait=True)


async def test_a_polls_own_call_timeout_is_still_its_own_error() -> None:
    with HostileServer(never_answers) as server:
        async with client_of(server, call_timeout=0.5) as client:
            with pytest.raises(APITimeoutError, match=r"GET /v1/eval-runs/run_1 .*call_timeout"):
                await client.evals.runs.wait("run_1", timeout=60.0)


async def test_a_deploy_wait_without_call_timeout_still_ends_on_the_streams_end() -> None:
    body = b'event: progress\ndata: {}\n\nevent: complete\ndata: {"endpoint": {"id": "ep_1"}}\n\n'

    def script(conn: Connection) -> None:
        conn.read_request()
        conn.head("200 OK", "text/event-stream", f"content-length: {len(body)}")
        conn.send(body)

    with HostileServer(script) as server:
        async with client_of(server, call_timeout=None) as client:
            endpoint = await client.endpoints.deploy(task="t", wait=True)
    assert endpoint.id == "ep_1"
