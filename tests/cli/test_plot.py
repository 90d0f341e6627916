"""``--plot`` on ``tasks leaderboard`` and ``evals runs show``, against the local server."""

from __future__ import annotations

import json
import re
import struct
import sys
from pathlib import Path

import pytest

from .helpers import Run

TASK = "contract-key-fields"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """rich takes the captured stdout for a terminal, without colours."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")


def front_of(cli: Run) -> list[str]:
    board = cli("tasks", "leaderboard", TASK, "--json").json()
    entries = [*board["models"], board["frontier"]]
    front, best = [], -1.0
    for entry in sorted(entries, key=lambda e: (e["cost_per_request_micro_usd"], -e["quality"])):
        if entry["quality"] > best:
            front.append(entry["name"])
            best = entry["quality"]
    return front


@pytest.fixture(scope="module")
def run_id(server: object, tmp_path_factory: pytest.TempPathFactory) -> str:
    from pareta import Pareta
    from pareta.local import LocalServer

    assert isinstance(server, LocalServer)
    with Pareta(api_key=server.api_key, base_url=server.base_url) as pa:
        examples = pa.tasks.retrieve(TASK, examples_n=6).get("examples")
        items = [{"input": row["input"], "expected": row["expected"]} for row in examples]
        run = pa.evals.runs.create(
            task=TASK,
            items=items,
            models=["contract-kie-1", "qwen-2", "mistral-2"],
            frontier="benchmarked",
            wait=True,
            poll_interval=0.02,
        )
    assert run.status == "completed"
    return str(run.id)


def test_the_leaderboard_drawn_on_a_terminal(cli: Run, on_a_terminal: None) -> None:
    result = cli("tasks", "leaderboard", TASK, "--plot")
    assert result.code == 0, result.err
    plain = ANSI.sub("", result.out)
    lines = plain.splitlines()
    assert lines[0].strip() == f"{TASK}: quality against cost per request"
    assert max(len(line) for line in lines) <= 100
    assert re.search(r"[◀↙↖] contract-kie-1 \(recommended\)", plain)
    assert "● open  ◆ frontier  ⠤⠒ Pareto front" in plain
    key = plain.index("Pareto front, cheapest first")
    front = front_of(cli)
    assert len(front) >= 3
    assert front[-1] == "gpt-4o"
    positions = [plain.index(f"\n{name} ", key) for name in front]
    assert positions == sorted(positions)
    assert "model                       kind" not in plain  # the chart replaced the table
    assert plain.endswith(f"pareta endpoints deploy --task {TASK}\n")


def test_piped_the_leaderboard_plot_is_the_table_and_a_note(cli: Run) -> None:
    result = cli("tasks", "leaderboard", TASK, "--plot")
    assert result.code == 0, result.err
    assert result.out == cli("tasks", "leaderboard", TASK).out.replace(
        "deploy the recommended",
        "(no chart: stdout is not a terminal; --plot chart.png writes one to a file)\n"
        "deploy the recommended",
    )


def test_a_terminal_too_narrow_for_the_chart_gets_the_table(
    cli: Run, on_a_terminal: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "36")
    plain = " ".join(ANSI.sub("", cli("tasks", "leaderboard", TASK, "--plot").out).split())
    assert "(no chart: the terminal is 36 columns wide, the chart needs 40)" in plain
    assert "- contract-kie-1" in plain  # the table, in blocks


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.slow
def test_the_leaderboard_written_to_png_and_svg(cli: Run, tmp_path: Path) -> None:
    png, svg = tmp_path / "front.png", tmp_path / "front.SVG"
    result = cli("tasks", "leaderboard", TASK, "--plot", str(png))
    assert result.code == 0, result.err
    assert f"wrote {png}\n" in result.out
    assert "contract-kie-1" in result.out  # the table is printed as well
    data = png.read_bytes()
    assert png_size(data) == (800, 500)
    assert 10_000 < len(data) < 150_000
    assert cli("tasks", "leaderboard", TASK, "--plot", str(svg)).code == 0
    text = svg.read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="utf-8" standalone="no"?>')
    assert "<svg " in text
    assert text.rstrip().endswith("</svg>")
    labels = set(re.findall(r"<text[^>]*>([^<]*)</text>", text))
    assert set(front_of(cli)) <= labels
    assert {"contract-kie-1 (recommended)", "Pareto front", "open", "frontier"} <= labels
    assert f"{TASK}: quality against cost per request" in labels
    assert "$0.0001" in labels


def test_an_eval_run_drawn_on_a_terminal(cli: Run, run_id: str, on_a_terminal: None) -> None:
    result = cli("evals", "runs", "show", run_id, "--plot")
    assert result.code == 0, result.err
    plain = ANSI.sub("", result.out)
    assert f"eval run {run_id}: quality against cost per item" in plain
    assert "(winner)" in plain
    assert "│ 95% interval" in plain
    assert re.search(r"model\s+kind\s+quality\s+95% CI\s+\$/item", plain)
    assert "saves" not in plain  # the chart took the results table's place


def test_an_eval_run_written_to_svg(cli: Run, run_id: str, tmp_path: Path) -> None:
    svg = tmp_path / "run.svg"
    result = cli("evals", "runs", "show", run_id, "--plot", str(svg))
    assert result.code == 0, result.err
    assert re.search(r"model\s+kind\s+quality\s+95% CI\s+\$/item\s+saves", result.out)
    labels = set(re.findall(r"<text[^>]*>([^<]*)</text>", svg.read_text(encoding="utf-8")))
    run = cli("evals", "runs", "show", run_id, "--json").json()
    front = [r["model_id"] for r in run["results"] if r["kind"] == "open"]
    assert {"95% interval", "Pareto front"} <= labels
    assert any(label.endswith("(winner)") for label in labels)
    assert any(name in labels or f"{name} (winner)" in labels for name in front)


@pytest.mark.slow
def test_with_json_a_file_is_written_and_stdout_stays_json(cli: Run, tmp_path: Path) -> None:
    png = tmp_path / "front.png"
    result = cli("tasks", "leaderboard", TASK, "--plot", str(png), "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["task_id"] == TASK
    assert result.err == f"wrote {png}\n"
    assert png_size(png.read_bytes()) == (800, 500)
    plain = cli("tasks", "leaderboard", TASK, "--json")
    assert plain.err == ""
    assert json.loads(plain.out) == json.loads(result.out)


def test_a_terminal_chart_with_json_is_a_usage_error(cli: Run, run_id: str) -> None:
    for argv in (("tasks", "leaderboard", TASK), ("evals", "runs", "show", run_id)):
        result = cli(*argv, "--plot", "--json")
        assert result.code == 2
        assert json.loads(result.err)["detail"] == (
            "--plot draws for people, --json prints for scripts: give --plot FILE"
        )
        assert result.out == ""


def test_a_plot_file_must_be_png_or_svg(cli: Run) -> None:
    result = cli("tasks", "leaderboard", TASK, "--plot", "front.jpg")
    assert result.code == 2
    assert "'front.jpg' is not a .png or .svg file" in result.err


def test_a_file_that_cannot_be_written_is_an_error(cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "front.png"
    result = cli("tasks", "leaderboard", TASK, "--plot", str(target))
    assert result.code == 1
    assert result.err == f"ParetaError: could not write {target}: No such file or directory\n"


def test_without_matplotlib_a_file_names_the_extra(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = cli("tasks", "leaderboard", TASK, "--plot", str(tmp_path / "front.svg"))
    assert result.code == 1
    assert result.err == (
        'MissingDependencyError: writing front.svg needs matplotlib: pip install "pareta[plot]"\n'
    )
    assert not (tmp_path / "front.svg").exists()


def test_without_plotext_the_terminal_chart_names_the_extra(
    cli: Run, on_a_terminal: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "plotext", None)
    result = cli("tasks", "leaderboard", TASK, "--plot")
    assert result.code == 1
    assert ANSI.sub("", result.err) == (
        'MissingDependencyError: a chart in the terminal needs plotext: pip install "pareta[cli]"\n'
    )
