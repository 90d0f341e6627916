from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from pareta import APIConnectionError, APIStreamError, NotFoundError, ParetaError
from pareta.cli.console import Output
from pareta.cli.errors import report
from pareta.local import LocalServer
from tests import hostile
from tests.hostile import HostileServer

from .helpers import Run, invoker


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    return invoker(capsys)


def test_help_lists_the_commands(run: Run) -> None:
    result = run("--help")
    assert result.code == 0
    for command in ("demo", "local", "tasks", "endpoints", "evals", "chat"):
        assert command in result.out
    assert "PARETA_API_KEY" in result.out


def test_version(run: Run) -> None:
    from pareta import __version__

    result = run("--version")
    assert (result.code, result.out) == (0, f"pareta {__version__}\n")


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["tasks"],
        ["tasks", "show"],
        ["tasks", "list", "--bogus"],
        ["demo", "--rows", "x"],
    ],
)
def test_usage_errors_exit_2(run: Run, argv: list[str]) -> None:
    result = run(*argv)
    assert result.code == 2
    assert "usage: pareta" in result.err
    assert result.out == ""


def test_demo_flags_are_exclusive(run: Run) -> None:
    result = run("demo", "--async", "--trio")
    assert result.code == 2
    assert "not allowed with argument" in result.err


def test_a_missing_key_says_how_to_get_one(run: Run) -> None:
    result = run("tasks", "list")
    assert result.code == 1
    assert "PARETA_API_KEY is not set" in result.err
    assert "export PARETA_API_KEY=pareta_sk_..." in result.err
    assert "pareta local serve" in result.err
    assert "Traceback" not in result.err


def test_a_rejected_key_is_an_authentication_error(
    run: Run, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARETA_API_KEY", "sk_not_a_pareta_key")
    monkeypatch.setenv("PARETA_BASE_URL", server.base_url)
    result = run("endpoints", "list")
    assert result.code == 1
    assert result.err.startswith("AuthenticationError: Invalid API key.")
    assert "status 401, request id req_" in result.err
    assert "check PARETA_API_KEY" in result.err


def test_without_rich_it_names_the_extra(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rich", None)
    result = run("tasks", "list")
    assert result.code == 1
    assert (
        result.err
        == 'error: the pareta command needs rich for its output: pip install "pareta[cli]"\n'
    )


IMPORTS_OF_PARETA = """
import sys
import httpx  # httpx itself imports rich when its own CLI's dependencies are installed
before = set(sys.modules)
import pareta
print(sorted(m for m in set(sys.modules) - before if m.startswith(("rich", "pareta.cli"))))
"""


def test_import_pareta_loads_neither_rich_nor_the_cli() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", IMPORTS_OF_PARETA], capture_output=True, text=True, check=True
    )
    assert loaded.stdout == "[]\n"


def test_connection_errors_point_at_the_base_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARETA_BASE_URL", "http://127.0.0.1:9")
    assert report(APIConnectionError("connection error: GET /v1/tasks"), Output()) == 1
    err = capsys.readouterr().err
    assert err.startswith("APIConnectionError: connection error: GET /v1/tasks\n")
    assert "is the server at http://127.0.0.1:9 reachable?" in err


def test_stream_errors_carry_their_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    error = APIStreamError("boom", detail={"message": "boom"}, request_id="req_123")
    assert report(error, Output()) == 1
    assert capsys.readouterr().err == 'APIStreamError: {"message": "boom"}\nrequest id req_123\n'


def test_plain_pareta_errors_have_no_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert report(ParetaError("deploy failed: out of memory"), Output()) == 1
    assert capsys.readouterr().err == "ParetaError: deploy failed: out of memory\n"


def test_server_text_reaches_stderr_escaped_and_bounded(
    capsys: pytest.CaptureFixture[str],
) -> None:
    error = NotFoundError(
        status_code=404,
        detail="\x1b[2J\x1b[31mgone\x07" + "x" * 10_000,
        request_id="req_\x1b]0;owned\x07",
    )
    assert report(error, Output()) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "\x07" not in err
    assert "\\x1b[2J\\x1b[31mgone\\x07" in err
    assert "request id req_\\x1b]0;owned\\x07" in err
    assert len(err) < 3000


def test_a_hostile_answer_is_a_one_line_error_not_a_traceback(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = hostile.fixed("200 OK", "application/json", b"[" * 100_000)
    with HostileServer(script) as server:
        monkeypatch.setenv("PARETA_BASE_URL", server.base_url)
        monkeypatch.setenv("PARETA_API_KEY", "pareta_sk_test")
        result = run("tasks", "list")
    assert result.code == 1
    assert result.err.startswith(
        "APIResponseValidationError: GET /v1/tasks returned JSON nested too deeply"
    )
    assert "Traceback" not in result.err


def test_an_interrupt_exits_130(capsys: pytest.CaptureFixture[str]) -> None:
    assert report(KeyboardInterrupt(), Output()) == 130
    assert capsys.readouterr().err == "interrupted\n"


@pytest.mark.parametrize("command", ["demo", "local"])
def test_commands_for_people_refuse_json(run: Run, command: str) -> None:
    result = run("--json", command, *(["serve"] if command == "local" else []))
    assert result.code == 2
    error = json.loads(result.err)  # asked for JSON: even this refusal is JSON
    assert error["detail"] == f"`pareta {command}` prints for people; it has no --json"


def test_with_json_errors_are_json_too(
    cli: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = cli("--json", "endpoints", "show", "ep_nope")
    assert missing.code == 1
    error = json.loads(missing.err)
    assert error["error"] == "NotFoundError"
    assert error["status"] == 404
    assert missing.out == ""
    usage = cli("--json", "batch", "ep_contract_kie", str(tmp_path / "x.jsonl"), "--rate", "x")
    assert usage.code == 2
    assert json.loads(usage.err)["error"] == "UsageError"
    monkeypatch.delenv("PARETA_API_KEY")
    no_key = cli("--json", "tasks", "list")
    assert json.loads(no_key.err)["detail"].startswith("no API key")


def test_a_status_without_detail_prints_where_it_came_from(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pareta._exceptions import status_error

    request = httpx.Request("GET", "https://api.test/v1/models")
    response = httpx.Response(302, headers={"location": "https://elsewhere.test/"}, request=request)
    assert report(status_error(response), Output()) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "APIStatusError: HTTP 302"
    assert err[1].startswith("HTTP 302 from GET /v1/models, redirected to https://elsewhere.test/")
    assert report(status_error(response), Output(as_json=True)) == 1
    record = json.loads(capsys.readouterr().err)
    assert record["detail"] == "HTTP 302"
    assert record["hint"].startswith("HTTP 302 from GET /v1/models")
