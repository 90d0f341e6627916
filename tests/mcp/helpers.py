"""Clients of the Pareta MCP server for the tests: in-process (the real JSON-RPC framing
over memory streams), over stdio to a ``pareta mcp`` subprocess, and over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import anyio
import pytest
from mcp import Client, ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, ListToolsResult

from pareta.local import LocalServer
from pareta.mcp.backend import Backend
from pareta.mcp.server import build_server
from pareta.mcp.spending import SpendingCap, parse_usd

# On trio, the MCP SDK's HTTP client leaves the response streams of a cancelled call and
# of a closed session for the garbage collector (httpx2 and httpcore2 async generators,
# never aclosed), which trio reports as a ResourceWarning. The leak is the client's, in the
# test process, not the server's; the tests that use it collect their garbage before they
# end, so the warnings are raised (and ignored) there and nowhere else.
LEAKED_BY_THE_CLIENT = pytest.mark.filterwarnings(
    r"ignore:Async generator 'http(x|core)2\.[\w.]+' was garbage collected:ResourceWarning"
)

# The rows the funnel evaluates on: the task's own kind of input.
ROWS = [
    {
        "input": "This Agreement is entered into between Acme Corp and Globex, effective as of "
        "2026-01-01. Governed by the laws of Delaware.",
        "expected": {"parties": ["Acme Corp", "Globex"], "effective_date": "2026-01-01"},
    },
    {
        "input": "MASTER SERVICES AGREEMENT between Initech and Hooli, effective 2026-02-15. "
        "Term: 12 months.",
        "expected": {"parties": ["Initech", "Hooli"], "effective_date": "2026-02-15"},
    },
]
CONTRACT = "Effective as of 2026-03-01, between Wayne Enterprises and Stark Industries."


class Session(Protocol):
    """What the tests call: the same on the SDK's ``Client`` and ``ClientSession``."""

    async def list_tools(self) -> ListToolsResult: ...

    async def call_tool(
        self,
        name: str,
        arguments: dict[str, Any] | None = None,
        read_timeout_seconds: float | None = None,
        progress_callback: Any = None,
    ) -> CallToolResult: ...


def fresh_key() -> str:
    """A new org on the local server: every distinct key is one."""
    return f"pareta_sk_test_{uuid.uuid4().hex}"


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


def error(result: CallToolResult) -> dict[str, Any]:
    assert result.is_error, result.structured_content
    assert isinstance(result.structured_content, dict)
    record = result.structured_content["error"]
    assert isinstance(record, dict)
    return record


def text(result: CallToolResult) -> str:
    block = result.content[0]
    assert block.type == "text"
    return block.text


@dataclass
class Progress:
    """Progress notifications as they arrive, and an event on the first."""

    seen: list[tuple[float, float | None, str | None]] = field(default_factory=list)
    first: anyio.Event = field(default_factory=anyio.Event)

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.seen.append((progress, total, message))
        self.first.set()


def spent_on(server: LocalServer, key: str) -> int:
    """What the local server debited the org of ``key``, from its ledger."""
    return sum(int(entry["amount_micro_usd"]) for entry in server.ledger(api_key=key))


@asynccontextmanager
async def in_process(
    *, api_key: str | None, base_url: str | None, cap: str = "1.00"
) -> AsyncIterator[tuple[Client, Backend]]:
    """The server built in this process, reached through the SDK's own client."""
    backend = Backend(cap=SpendingCap(parse_usd(cap)), api_key=api_key, base_url=base_url)
    app = build_server(backend)
    try:
        async with anyio.create_task_group() as jobs:
            backend.task_group = jobs
            async with Client(app, mode="legacy") as client:
                yield client, backend
            jobs.cancel_scope.cancel()
    finally:
        await backend.aclose()


def server_env(server: LocalServer | None, key: str | None) -> dict[str, str]:
    env = {"PYTHONUNBUFFERED": "1"}
    if key is not None:
        env["PARETA_API_KEY"] = key
    if server is not None:
        env["PARETA_BASE_URL"] = server.base_url
    return env


def mcp_command(*args: str) -> list[str]:
    """``pareta mcp ARGS`` as the CLI runs it."""
    return [sys.executable, "-m", "pareta.cli", "mcp", *args]


@asynccontextmanager
async def over_stdio(
    env: dict[str, str], args: Sequence[str], errlog: Path
) -> AsyncIterator[ClientSession]:
    """A ``ClientSession`` over stdio to ``pareta mcp ARGS``; its stderr goes to ``errlog``."""
    command = mcp_command(*args)
    params = StdioServerParameters(command=command[0], args=command[1:], env=env)
    with errlog.open("w") as log:
        async with (
            stdio_client(params, errlog=log) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session


class HttpServer:
    """``pareta mcp --http 0`` in a subprocess; ``url`` once it has said where it listens."""

    def __init__(self, env: dict[str, str], args: Sequence[str]) -> None:
        self.lines: list[str] = []
        self.url: str | None = None
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            mcp_command("--http", "0", *args),
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            if " MCP over HTTP at " in line:
                self.url = line.rsplit(" ", 1)[1].strip()
                self._ready.set()
        self._ready.set()

    def wait_ready(self) -> str:
        self._ready.wait(60)
        assert self.url is not None, "".join(self.lines)
        return self.url

    def stop(self) -> str:
        """Stop it (Ctrl-C, as a user would) and return everything it wrote on stderr."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:  # pragma: no cover - only a hung server
                self.process.kill()
                self.process.wait()
            self._reader.join(10)
            assert self.process.stderr is not None
            self.process.stderr.close()
        return "".join(self.lines)


@contextmanager
def http_server(env: dict[str, str], args: Sequence[str] = ()) -> Iterator[HttpServer]:
    server = HttpServer(env, args)
    try:
        yield server
    finally:
        server.stop()


@asynccontextmanager
async def over_http(url: str) -> AsyncIterator[ClientSession]:
    async with (
        streamable_http_client(url) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session
