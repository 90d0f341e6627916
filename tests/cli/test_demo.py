from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .support import Run, invoker

STEPS = (
    "1. Match your intent to a task",
    "2. Read the leaderboard",
    "3. Evaluate on your own rows",
    "4. Deploy the winner",
    "5. Stream an answer",
    "6. Read its metrics",
    "7. Clean up",
)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("COLUMNS", "120")
    return invoker(capsys)


@pytest.mark.parametrize(
    ("flags", "flavour"),
    [
        ([], "the sync client, Pareta"),
        (["--async"], "AsyncPareta on asyncio"),
        (["--trio"], "AsyncPareta on trio"),
    ],
)
def test_the_demo_walks_the_whole_funnel(run: Run, flags: list[str], flavour: str) -> None:
    result = run("demo", *flags)
    assert result.code == 0, result.err
    assert result.err == ""
    out = result.out
    assert f"the funnel runs through {flavour}" in out
    positions = [out.index(step) for step in STEPS]
    assert positions == sorted(positions)
    assert "matched contract-key-fields with high confidence" in out
    assert re.search(r"\n\S+\s+open\s+0\.\d{3}\s+\$0\.\d{6}\s+\d+k\n", out)  # a leaderboard row
    assert re.search(r"eval run run_\w+: completed \(100%\)", out)
    assert re.search(r"model\s+kind\s+quality\s+95% CI\s+\$/item\s+saves\s+ok/err", out)
    winner = re.search(r"winner: (\S+) at quality", out)
    assert winner is not None
    assert re.search(
        rf"pa\.endpoints\.deploy\(task='contract-key-fields', model='{winner.group(1)}'\)", out
    )
    assert "deploying " + winner.group(1) + ": live (100%)" in out
    endpoint = re.search(r"endpoint (ep_\w+) is live", out)
    assert endpoint is not None
    assert '{"parties": [' in out  # the streamed answer
    assert re.search(r"latency over 1 request: p50 \d+\.\d ms", out)
    assert re.search(r"spent \$0\.\d{6}; \S+ would have cost \$0\.\d{6} \(\d+% saved\)", out)
    assert f"deleted endpoint {endpoint.group(1)}" in out
    assert re.search(r"deleted eval set es_\w+", out)
    assert re.search(r"Done in \d+\.\ds\.", out)


def test_a_demo_intent_without_text_rows_fails_cleanly(run: Run) -> None:
    result = run("demo", "--intent", "pull totals out of vendor invoices", "--rows", "2")
    assert result.code == 1
    assert (
        result.err
        == "ParetaError: task invoice-extraction offered no text example rows to evaluate on\n"
    )


def test_demo_rows_must_be_positive(run: Run) -> None:
    result = run("demo", "--rows", "0")
    assert result.code == 2
    assert result.err == "error: --rows must be at least 1, got 0\n"


def test_the_demo_reads_well_piped_into_a_narrow_terminal(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "40", "TERM": "xterm-256color"}
    env.pop("PARETA_API_KEY", None)
    done = subprocess.run(
        [sys.executable, "-m", "pareta.cli", "demo"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert all(step in done.stdout for step in STEPS)
    assert "\x1b[" not in done.stdout  # no colours nor cursor moves into a pipe
    # Only the streamed answer is printed as it comes; everything else fits 40 columns.
    wide = [line for line in lines if len(line) > 40]
    assert len(wide) == 1
    assert '{"parties": [' in wide[0]
    # Tables too wide for 40 columns become one block per row.
    assert "- contract-1" in lines
    assert "    kind: open" in lines


def test_on_a_terminal_the_demo_draws_live_progress_bars(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # FORCE_COLOR makes rich treat the captured stdout as a colour terminal.
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    result = run("demo", "--trio")
    assert result.code == 0, result.err
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", result.out)
    assert all(step in plain for step in STEPS)
    assert "\x1b[?25l" in result.out  # the live display hid the cursor to redraw in place
    assert re.search(r"deploying \S+: live\s.*100%", plain)
    assert re.search(r"eval run run_\w+: completed\s.*100%", plain)
    # Bars replace the stage lines of a pipe.
    assert "live (100%)" not in plain


def test_a_server_that_cannot_start_is_reported(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from pareta.local import LocalServer

    def refuse(self: LocalServer) -> LocalServer:
        raise OSError("[Errno 98] Address already in use")

    monkeypatch.setattr(LocalServer, "start", refuse)
    result = run("demo")
    assert result.code == 1
    assert result.err == (
        "error: the local Pareta server did not start: [Errno 98] Address already in use\n"
    )
