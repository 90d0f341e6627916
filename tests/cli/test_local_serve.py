from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .support import Run, invoker


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
