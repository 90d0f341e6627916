"""The entry point in this process: ``pareta-mcp --local --http 0`` served from a thread and
reached over HTTP, and a stdio server whose client hangs up at once."""

from __future__ import annotations

import gc
import io
import logging
import re
import socket
import sys
import threading
from collections.abc import Iterator

import pytest
import uvicorn

from pareta.mcp import main

from .helpers import LEAKED_BY_THE_CLIENT, data, over_http

pytestmark = [pytest.mark.anyio, LEAKED_BY_THE_CLIENT]


@pytest.fixture(autouse=True)
def _logging_and_leaks() -> Iterator[None]:
    """Put back the root log level the server sets for its process; collect the client's
    leaked streams while the filter still holds."""
    level = logging.getLogger().level
    yield
    logging.getLogger().setLevel(level)
    gc.collect()


@pytest.mark.slow
async def test_local_over_http_from_a_thread(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    started = threading.Event()
    servers: list[uvicorn.Server] = []

    class Observed(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            servers.append(self)
            started.set()

    monkeypatch.setattr(uvicorn, "Server", Observed)
    codes: list[int] = []
    argv = ["--local", "--http", "0", "--max-spend-usd", "0.25"]
    thread = threading.Thread(target=lambda: codes.append(main(argv)))
    thread.start()
    try:
        assert started.wait(timeout=60)
        said = capsys.readouterr().err
        url = re.search(r"MCP over HTTP at (\S+)", said)
        assert url is not None and re.fullmatch(r"http://127\.0\.0\.1:\d+/mcp", url[1])
        assert "pareta mcp: spending cap $0.25" in said
        assert re.search(r"a local Pareta server at http://127\.0\.0\.1:\d+", said)
        async with over_http(url[1]) as session:
            board = data(await session.call_tool("leaderboard", {"task_id": "contract-key-fields"}))
            spending = data(await session.call_tool("spending", {}))
    finally:
        for server in servers:
            server.should_exit = True
        thread.join(timeout=30)
    assert not thread.is_alive() and codes == [0]
    assert board["recommended"] == "contract-kie-1"
    assert spending["cap_micro_usd"] == 250_000


@pytest.mark.slow
def test_a_stdio_server_ends_when_its_client_hangs_up(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    assert main(["--log-level", "INFO"]) == 0
    assert capsys.readouterr().err == "pareta mcp: spending cap $1.00\n"
    assert logging.getLogger().level == logging.INFO
