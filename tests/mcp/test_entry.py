"""The command line of the server: ``pareta-mcp`` and ``pareta mcp``, and what loads when."""

from __future__ import annotations

import runpy
import subprocess
import sys

import anyio
import pytest

from pareta.cli.app import run as pareta
from pareta.mcp import main
from pareta.mcp.entry import exposure

IMPORTS_OF_PARETA = """
import sys
before = set(sys.modules)
import pareta
from pareta import AsyncPareta, Pareta
print(sorted(m for m in set(sys.modules) - before if m.split(".")[0] in ("mcp", "mcp_types")
      or m.startswith("pareta.mcp")))
"""


def test_import_pareta_loads_none_of_mcp() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", IMPORTS_OF_PARETA], capture_output=True, text=True, check=True
    )
    assert loaded.stdout == "[]\n"


def test_without_the_mcp_sdk_it_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "mcp", None)
    assert main([]) == 1
    assert capsys.readouterr().err == (
        'error: the Pareta MCP server needs the MCP SDK: pip install "pareta[mcp]"\n'
    )


def test_help_names_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert pareta(["mcp", "--help"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("usage: pareta mcp [-h] [--local] [--http PORT] [--host HOST]")
    assert "--max-spend-usd USD" in shown and "(default $1.00)" in shown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-spend-usd", "lots"], "not an amount in dollars: 'lots'"),
        (["--max-spend-usd", "-1"], "must be a dollar amount of 0 or more"),
        (["--http", "70000"], "--http takes a port from 0 to 65535"),
        (["--nope"], "unrecognized arguments: --nope"),
    ],
)
def test_bad_options_are_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert pareta(["mcp", *args]) == 2
    assert message in capsys.readouterr().err


def test_local_without_the_local_extra_names_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "pareta.local", None)
    assert main(["--local"]) == 1
    assert capsys.readouterr().err.startswith(
        'error: pareta mcp --local runs a local server, which needs: pip install "pareta[local]"'
    )


def test_ctrl_c_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(anyio, "run", interrupted)
    assert main([]) == 130


def test_python_m_pareta_mcp_is_the_same_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["python -m pareta.mcp", "--help"])
    with pytest.raises(SystemExit) as exit:
        runpy.run_module("pareta.mcp", run_name="__main__")
    assert exit.value.code == 0
    assert capsys.readouterr().out.startswith("usage: pareta-mcp [-h] [--local]")


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_this_machine_only_needs_no_warning(host: str) -> None:
    assert exposure(host) == []


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "mcp.example.com"])
def test_other_machines_are_warned_of(host: str) -> None:
    (warning,) = exposure(host)
    assert f"serving on {host}, reachable from other machines" in warning
