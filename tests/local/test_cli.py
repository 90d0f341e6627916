from __future__ import annotations

import os
import re
import subprocess
import sys

import httpx
import pytest

from pareta.local import cli

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}


@pytest.mark.slow
def test_help_lists_the_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pareta.local", "--help"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
        check=True,
    )
    flags = ("--host", "--port", "--balance", "--deploy-seconds", "--fault", "--upstream")
    for flag in (*flags, "--rate-limit", "--rate-burst", "--idempotency-ttl"):
        assert flag in result.stdout


def test_bad_fault_spec_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--fault", "POST /v1/x colour=red"]) == 2
    assert "--fault" in capsys.readouterr().err


@pytest.mark.slow
def test_serves_and_prints_url_and_key() -> None:
    command = [
        sys.executable,
        "-m",
        "pareta.local",
        "--port",
        "0",
        "--balance",
        "777",
        "--log-level",
        "warning",
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    ) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            export = process.stdout.readline()
            pattern = (
                r"export PARETA_BASE_URL=(http://127\.0\.0\.1:\d+) "
                r"PARETA_API_KEY=(pareta_sk_local_\w+)\n"
            )
            match = re.fullmatch(pattern, export)
            assert match, (first, export)
            base_url, key = match.groups()
            assert base_url in first
            headers = {"Authorization": f"Bearer {key}"}
            # The URL is printed before uvicorn accepts; retry until it answers.
            for _ in range(500):
                try:
                    balance = httpx.get(f"{base_url}/admin/balance", headers=headers)
                    break
                except httpx.ConnectError:
                    continue
            assert balance.json()["balance_micro_usd"] == 777
        finally:
            process.terminate()
            process.communicate(timeout=30)
    assert process.returncode in (0, -15)


def test_missing_dependencies_name_the_extra() -> None:
    code = (
        "import sys; sys.modules['fastapi'] = None\n"
        "try:\n    import pareta.local\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=60
    )
    assert 'pip install "pareta[local]"' in result.stdout


def test_top_level_import_does_not_load_the_server() -> None:
    code = "import sys, pareta; print('pareta.local' in sys.modules, 'fastapi' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=60
    )
    assert result.stdout.strip() == "False False", result.stderr
