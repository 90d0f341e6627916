from __future__ import annotations

import importlib
import logging
import os
import re
import runpy
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from pareta.local import cli as local_cli

from .helpers import Run, invoker


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    return invoker(capsys)


def test_serve_help_is_the_servers_own(run: Run) -> None:
    result = run("local", "serve", "--help")
    assert result.code == 0
    assert result.out.startswith("usage: pareta local serve ")
    assert "--port" in result.out
    assert "--deploy-seconds" in result.out


def test_serve_passes_a_bad_option_back_as_a_usage_error(run: Run) -> None:
    result = run("local", "serve", "--port", "not-a-number")
    assert result.code == 2
    assert "--port" in result.err


def test_other_commands_still_reject_unknown_options(run: Run) -> None:
    result = run("tasks", "list", "--port", "1")
    assert result.code == 2
    assert "unrecognized arguments: --port 1" in result.err


@pytest.mark.parametrize("argv", [["local", "serve"], ["demo"]])
def test_without_the_local_extra_it_names_it(
    run: Run, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    monkeypatch.setitem(sys.modules, "pareta.local", None)
    result = run(*argv)
    assert result.code == 1
    assert 'pip install "pareta[local]"' in result.err


@pytest.mark.slow
def test_serve_prints_what_to_export_and_serves_it(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "pareta.cli", "local", "serve", "--port", "0"]
    command += ["--log-level", "warning"]
    server = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, cwd=tmp_path, env=os.environ
    )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        exports = server.stdout.readline().split()
        assert banner.startswith("Pareta local server running at http://127.0.0.1:")
        assert exports[0] == "export"
        env = dict(pair.split("=", 1) for pair in exports[1:])
        assert env["PARETA_API_KEY"].startswith("pareta_sk_local_")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        tasks = run("tasks", "list", "--json").json()
        assert "contract-key-fields" in {task["id"] for task in tasks}
    finally:
        server.terminate()
        server.wait(timeout=10)
        assert server.stdout is not None
        server.stdout.close()


@pytest.fixture
def uvicorn_logging() -> Iterator[None]:
    """Put back the uvicorn loggers a foreground `serve` configures for its own process."""
    names = ["uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"]
    loggers = [logging.getLogger(name) for name in names]
    saved = [(lg.handlers[:], lg.filters[:], lg.level, lg.propagate, lg.disabled) for lg in loggers]
    yield
    for lg, (handlers, filters, level, propagate, disabled) in zip(loggers, saved, strict=True):
        lg.handlers[:], lg.filters[:] = handlers, filters
        lg.level, lg.propagate, lg.disabled = level, propagate, disabled


def test_serve_in_the_foreground_until_told_to_exit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, uvicorn_logging: None
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
    argv = ["--port", "0", "--api-key", "pareta_sk_local_fixed", "--log-level", "warning"]
    thread = threading.Thread(target=lambda: codes.append(local_cli.main(argv)))
    thread.start()
    try:
        assert started.wait(timeout=30)
        banner, exports = capsys.readouterr().out.splitlines()[:2]
        base_url = banner.removeprefix("Pareta local server running at ")
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url)
        assert exports == f"export PARETA_BASE_URL={base_url} PARETA_API_KEY=pareta_sk_local_fixed"
        monkeypatch.setenv("PARETA_BASE_URL", base_url)
        monkeypatch.setenv("PARETA_API_KEY", "pareta_sk_local_fixed")
        tasks = invoker(capsys)("tasks", "list", "--json").json()
        assert "contract-key-fields" in {task["id"] for task in tasks}
    finally:
        for server in servers:
            server.should_exit = True
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert codes == [0]


def test_serve_on_a_port_in_use_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert local_cli.main(["--port", str(port)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"error: cannot serve on 127.0.0.1:{port}: ")


def test_an_interrupted_serve_exits_0(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def interrupted(**options: Any) -> None:
        seen.update(options)
        raise KeyboardInterrupt

    monkeypatch.setattr(local_cli, "serve", interrupted)
    assert local_cli.main(["--port", "0", "--seed", "7", "--fault", "GET /v1/tasks drop"]) == 0
    assert (seen["port"], seen["seed"]) == (0, 7)
    assert [fault.path for fault in seen["faults"]] == ["/v1/tasks"]
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("module", "argv", "code", "stream", "text"),
    [
        ("pareta.cli", ["--version"], 0, "out", "pareta "),
        ("pareta.local", ["--fault", "GET /v1/tasks bogus=1"], 2, "err", "error: bad --fault: "),
    ],
)
def test_python_dash_m_runs_the_command_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    argv: list[str],
    code: int,
    stream: str,
    text: str,
) -> None:
    monkeypatch.setattr(sys, "argv", [module, *argv])
    with pytest.raises(SystemExit) as exited:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    assert exited.value.code == code
    assert getattr(capsys.readouterr(), stream).startswith(text)


def test_importing_the_local_main_module_serves_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_serve(argv: list[str] | None = None) -> int:
        raise AssertionError("imported pareta.local.__main__ ran main()")

    monkeypatch.setattr(local_cli, "main", must_not_serve)
    monkeypatch.delitem(sys.modules, "pareta.local.__main__", raising=False)
    module = importlib.import_module("pareta.local.__main__")
    assert module.main is must_not_serve
    assert capsys.readouterr() == ("", "")
