from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from pareta import ChatCompletionChunk, EvalRun, Leaderboard, ParetaError
from pareta.cli.console import Output
from pareta.cli.demo.story import Story

from .helpers import Run, invoker

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


@pytest.mark.slow
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


@pytest.mark.slow
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
    # The eval step draws its results as quality against cost, the winner named on it.
    assert re.search(r"eval run run_\w+: quality against cost per item", plain)
    winner = re.search(r"winner: (\S+) at quality", plain)
    assert winner is not None
    name = re.escape(f"{winner.group(1)} (winner)")
    assert re.search(rf"[◀↙↖] {name}|{name} [▶↘↗]", plain)
    assert "● open  ◆ frontier  ⠤⠒ Pareto front  │ 95% interval" in plain
    assert plain.index("quality against cost") < plain.index("4. Deploy the winner")


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


def test_trio_without_trio_installed_names_it(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "trio", None)
    result = run("demo", "--trio")
    assert result.code == 2
    assert result.err == "error: --trio needs trio: pip install trio\n"
    assert result.out == ""


@pytest.mark.parametrize("flags", [[], ["--async"]])
def test_a_run_that_cannot_be_read_stops_the_demo_with_nothing_to_clean(
    run: Run, monkeypatch: pytest.MonkeyPatch, flags: list[str]
) -> None:
    from pareta.local import LocalServer

    class RunsGone(LocalServer):
        def start(self) -> LocalServer:
            super().start()
            self.inject_fault("GET /v1/eval-runs/* status=404 detail=run_vanished")
            return self

    monkeypatch.setattr("pareta.local.LocalServer", RunsGone)
    result = run("demo", *flags)
    assert result.code == 1
    assert result.err.startswith("NotFoundError: run vanished\n")
    assert "3. Evaluate on your own rows" in result.out
    assert "4. Deploy the winner" not in result.out
    assert "deleted eval set" not in result.out


def story() -> Story:
    return Story(Output(), intent="extract the key fields from a contract")


def open_entry(name: str) -> dict[str, Any]:
    return {"name": name, "kind": "open", "quality": 0.9, "cost_per_request_micro_usd": 70}


def test_a_short_leaderboard_without_a_frontier_is_all_shortlisted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    board = Leaderboard({"task_id": "t", "models": [open_entry("m-1"), open_entry("m-2")]})
    assert story().ranked(board) == ["m-1", "m-2"]
    out = capsys.readouterr().out
    assert "shortlist: the top 2 open models, m-1, m-2" in out
    assert "more open models" not in out
    assert "frontier baseline" not in out


def test_a_leaderboard_without_open_models_stops_the_demo() -> None:
    frontier = {**open_entry("gpt-4o"), "kind": "frontier"}
    board = Leaderboard({"task_id": "t", "models": [frontier], "frontier": frontier})
    with pytest.raises(ParetaError, match=r"^the leaderboard of t has no open models$"):
        story().ranked(board)


def test_an_eval_past_its_deadline_stops_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pareta.cli.demo.story.EVAL_DEADLINE", 0.0)
    teller = story()
    running = EvalRun({"run_id": "run_1", "status": "running"})
    with teller.eval_progress(running) as stages:
        with pytest.raises(ParetaError, match=r"^eval run run_1 did not finish within 0s$"):
            teller.pending(running, stages)
        assert not teller.pending(EvalRun({"run_id": "run_1", "status": "completed"}), stages)


def test_a_failed_eval_stops_the_demo() -> None:
    failed = EvalRun({"run": {"id": "run_1", "status": "failed", "error_detail": "scorer down"}})
    with pytest.raises(ParetaError, match=r"^eval run run_1 failed: scorer down$"):
        story().scored(failed)


def result_row(model: str, kind: str) -> dict[str, Any]:
    return {"model_id": model, "kind": kind, "quality_mean": 0.9, "mean_cost_micro_usd": 70}


def test_an_eval_without_an_open_winner_stops_the_demo() -> None:
    frontier_only = EvalRun(
        {
            "run": {"id": "run_1", "status": "completed"},
            "results": [result_row("gpt-4o", "frontier")],
        }
    )
    with pytest.raises(ParetaError, match=r"^no open model succeeded in eval run run_1$"):
        story().scored(frontier_only)


def test_a_winner_without_a_frontier_baseline_is_not_compared(
    capsys: pytest.CaptureFixture[str],
) -> None:
    open_only = EvalRun(
        {
            "run": {"id": "run_1", "status": "completed", "cost_micro_usd": 140},
            "results": [result_row("m-1", "open")],
        }
    )
    assert story().scored(open_only) == "m-1"
    out = capsys.readouterr().out
    assert "winner: m-1 at quality 0.900" in out
    assert " cheaper per item" not in out
    assert "the run billed $" in out


def test_without_plotext_the_demo_says_so_and_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "plotext", None)
    teller = story()
    buffer = io.StringIO()
    teller.out.console = Console(file=buffer, width=100, force_terminal=True, color_system=None)
    results = [result_row("m-1", "open"), {**result_row("gpt-4o", "frontier"), "quality_mean": 1}]
    run = EvalRun({"run": {"id": "run_1", "status": "completed"}, "results": results})
    assert teller.scored(run) == "m-1"
    assert (
        '(no chart: a chart in the terminal needs plotext: pip install "pareta[cli]")'
        in " ".join(buffer.getvalue().split())
    )


def test_a_deploy_without_an_endpoint_stops_the_demo() -> None:
    with pytest.raises(ParetaError, match=r"^the deploy stream ended without a live endpoint$"):
        story().deployed(None)


def test_stream_chunks_without_choices_print_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    teller = story()
    teller.token(ChatCompletionChunk({"choices": []}))
    teller.token(ChatCompletionChunk({"choices": [{"index": 0, "delta": {"content": "hi"}}]}))
    assert capsys.readouterr().out == "hi"


def test_a_demo_on_one_row_says_one_row(run: Run) -> None:
    result = run("demo", "--rows", "1")
    assert result.code == 0, result.err
    assert "items=<1 row>" in result.out
    assert "1 sample row stands in for your data" in result.out
    assert "1 rows" not in result.out
