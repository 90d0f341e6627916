from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

from pareta.cli.errors import EXIT_RUN_FAILED, EXIT_RUN_TIMEOUT

from .helpers import Run

TASK = "contract-key-fields"


def sample_rows(cli: Run, task: str, n: int) -> list[dict[str, Any]]:
    examples: list[dict[str, Any]] = cli(
        "tasks", "show", task, "--examples", str(n), "--json"
    ).json()["examples"]
    return examples


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> str:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return str(path)


def write_csv(path: Path, rows: list[dict[str, Any]]) -> str:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: v if isinstance(v, str) else json.dumps(v) for k, v in row.items()})
    return str(path)


def test_eval_set_lifecycle_from_a_jsonl_file(cli: Run, tmp_path: Path) -> None:
    rows = sample_rows(cli, TASK, 3)
    created = cli(
        "evals", "sets", "create", write_jsonl(tmp_path / "rows.jsonl", rows), "--task", TASK,
        "--name", "q2 contracts", "--json",
    ).json()  # fmt: skip
    assert created["task_id"] == TASK
    assert created["item_count"] == 3
    assert created["name"] == "q2 contracts"
    set_id = created["id"]
    assert cli("evals", "sets", "show", set_id, "--json").json() == created
    assert set_id in {s["id"] for s in cli("evals", "sets", "list", "--json").json()}
    listing = cli("evals", "sets", "list")
    assert re.search(rf"{set_id}\s+{TASK}\s+q2 contracts\s+3\s+extraction", listing.out)
    assert cli("evals", "sets", "delete", set_id).out == f"eval set {set_id} deleted\n"
    gone = cli("evals", "sets", "show", set_id)
    assert gone.code == 1
    assert gone.err.startswith("NotFoundError: ")


def test_a_csv_set_keeps_its_json_cells_as_json(cli: Run, tmp_path: Path) -> None:
    rows = sample_rows(cli, TASK, 4)
    created = cli("evals", "sets", "create", write_csv(tmp_path / "rows.csv", rows), "--task", TASK)
    assert created.code == 0, created.err
    set_id = re.search(r"eval set (es_\w+): 4 rows for contract-key-fields", created.out)
    assert set_id is not None
    run = cli(
        "evals", "runs", "create", "--set", set_id.group(1), "--model", "contract-kie-1",
        "--wait", "--poll-interval", "0.01", "--json",
    ).json()  # fmt: skip
    (result,) = run["results"]
    # A string "expected" would score nothing against the extracted fields.
    assert result["n_succeeded"] == 4
    assert result["quality_mean"] > 0.8


def test_a_run_created_inline_and_followed_to_the_end(cli: Run, tmp_path: Path) -> None:
    rows = write_jsonl(tmp_path / "rows.jsonl", sample_rows(cli, TASK, 6))
    result = cli(
        "evals", "runs", "create", "--task", TASK, "--file", rows, "--model", "contract-kie-1",
        "--model", "qwen-2", "--frontier", "benchmarked", "--wait", "--poll-interval", "0.01",
    )  # fmt: skip
    assert result.code == 0, result.err
    run_id = re.search(
        r"run (run_\w+) on eval set es_\w+: completed; billed \$\d+\.\d\d", result.out
    )
    assert run_id is not None
    assert "eval run " + run_id.group(1) + ": completed (100%)" in result.out
    run = cli("evals", "runs", "show", run_id.group(1), "--json").json()
    kinds = {r["model_id"]: r["kind"] for r in run["results"]}
    assert kinds["contract-kie-1"] == kinds["qwen-2"] == "open"
    assert "frontier" in kinds.values()
    shown = cli("evals", "runs", "show", run_id.group(1))
    for r in run["results"]:
        interval = f"[{r['quality_ci_low']:.3f}, {r['quality_ci_high']:.3f}]"
        cost = f"${r['mean_cost_micro_usd'] / 1_000_000:.6f}"
        line = rf"{re.escape(r['model_id'])}\s+{r['kind']}\s+{r['quality_mean']:.3f}\s+"
        assert re.search(line + rf"{re.escape(interval)}\s+{re.escape(cost)}\s+", shown.out)
    # Open models are cheaper than the frontier baseline here: the savings column says so.
    assert re.search(r"contract-kie-1\s+open\s+.*\s+\d{2}%\s+6/0", shown.out)


def test_a_run_without_wait_says_how_to_follow_it(cli: Run, tmp_path: Path) -> None:
    rows = write_jsonl(tmp_path / "rows.jsonl", sample_rows(cli, TASK, 2))
    started = cli(
        "evals", "runs", "create", "--task", TASK, "--file", rows, "--model", "qwen-1",
        "--frontier", "gpt-4o,claude-sonnet-4", "--json",
    ).json()  # fmt: skip
    run_id = started["run_id"]
    shown = cli("evals", "runs", "show", run_id, "--json").json()
    assert shown["run"]["candidate_models"] == ["qwen-1", "gpt-4o", "claude-sonnet-4"]
    human = cli("evals", "runs", "create", "--task", TASK, "--file", rows, "--model", "qwen-1")
    assert re.search(r"follow it with: pareta evals runs show run_\w+", human.out)


def test_attach_a_document_to_a_row(cli: Run, tmp_path: Path) -> None:
    task = "invoice-extraction"
    (example,) = sample_rows(cli, task, 1)
    document = tmp_path / "invoice.txt"
    document.write_text(example["document_text"], encoding="utf-8")
    rows = write_jsonl(tmp_path / "rows.jsonl", [{"expected": example["expected"]}])
    set_id = cli("evals", "sets", "create", rows, "--task", task, "--json").json()["id"]
    attached = cli(
        "evals", "sets", "upload", set_id, str(document), "--idx", "0", "--field", "document",
        "--mime", "text/plain", "--json",
    ).json()  # fmt: skip
    assert attached["attached"] is True
    assert (attached["idx"], attached["field_name"]) == (0, "document")
    human = cli(
        "evals", "sets", "upload", set_id, str(document), "--idx", "0", "--field", "document"
    )
    assert human.out == f"attached {document} to row 0 (document) of {set_id}\n"
    model = cli("tasks", "leaderboard", task, "--json").json()["recommended"]
    run = cli(
        "evals", "runs", "create", "--set", set_id, "--model", model, "--wait",
        "--poll-interval", "0.01", "--json",
    ).json()  # fmt: skip
    assert run["results"][0]["n_succeeded"] == 1


def test_frontier_roster(cli: Run) -> None:
    roster = cli("evals", "frontier", "--task", "invoice-extraction", "--json").json()
    assert roster
    assert all(model["vision"] for model in roster)
    assert any(model["benchmarked"] for model in roster)
    human = cli("evals", "frontier")
    assert re.search(r"gpt-4o\s+openai\s+yes\s+no", human.out)


def test_run_needs_a_set_or_a_task_with_a_file(cli: Run, tmp_path: Path) -> None:
    both = cli("evals", "runs", "create", "--set", "es_1", "--task", TASK, "--model", "qwen-1")
    assert both.code == 2
    assert "not both" in both.err
    neither = cli("evals", "runs", "create", "--task", TASK, "--model", "qwen-1")
    assert neither.code == 2
    assert "--set SET_ID, or --task TASK with --file FILE" in neither.err
    no_model = cli("evals", "runs", "create", "--set", "es_1")
    assert no_model.code == 2
    assert "--model" in no_model.err


def test_an_unreadable_rows_file(cli: Run, tmp_path: Path) -> None:
    missing = cli("evals", "sets", "create", str(tmp_path / "nope.jsonl"), "--task", TASK)
    assert missing.code == 1
    assert missing.err.startswith("error: cannot read ")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"input": "a"}\n{oops\n', encoding="utf-8")
    broken = cli("evals", "sets", "create", str(bad), "--task", TASK)
    assert broken.code == 1
    assert f"{bad}:2: not a JSON object" in broken.err


def test_frontier_needs_a_keyword_or_ids(cli: Run) -> None:
    result = cli("evals", "runs", "create", "--set", "es_1", "--model", "qwen-1", "--frontier", ",")
    assert result.code == 2
    assert "expected benchmarked, all, none or frontier ids" in result.err


def test_a_set_shown_for_people_and_deleted_for_scripts(cli: Run, tmp_path: Path) -> None:
    rows = write_jsonl(tmp_path / "rows.jsonl", sample_rows(cli, TASK, 2))
    set_id = cli("evals", "sets", "create", rows, "--task", TASK, "--json").json()["id"]
    shown = cli("evals", "sets", "show", set_id)
    assert shown.code == 0, shown.err
    assert shown.out.startswith(f"Eval set {set_id}\n")
    assert re.search(rf"^task_id\s+{TASK} *$", shown.out, re.MULTILINE)
    assert re.search(r"^item_count\s+2 *$", shown.out, re.MULTILINE)
    deleted = cli("evals", "sets", "delete", set_id, "--json").json()
    assert deleted == {"id": set_id, "deleted": True}
    assert set_id not in {s["id"] for s in cli("evals", "sets", "list", "--json").json()}


def test_waiting_past_the_timeout_leaves_the_run_going(cli: Run, tmp_path: Path) -> None:
    rows = write_jsonl(tmp_path / "rows.jsonl", sample_rows(cli, TASK, 2))
    result = cli(
        "evals", "runs", "create", "--task", TASK, "--file", rows, "--model", "qwen-1",
        "--wait", "--timeout", "0",
    )  # fmt: skip
    assert result.code == EXIT_RUN_TIMEOUT == 4
    run_id = re.fullmatch(
        r"eval run (run_\w+) did not finish within 0s; it keeps running: "
        r"pareta evals runs show \1\n",
        result.err,
    )
    assert run_id is not None
    assert f"run {run_id.group(1)} " in result.out  # the state it was last seen in
    still = cli("evals", "runs", "show", run_id.group(1), "--json").json()
    assert still["run"]["id"] == run_id.group(1)
    scripted = cli(
        "evals", "runs", "create", "--task", TASK, "--file", rows, "--model", "qwen-1",
        "--wait", "--timeout", "0", "--json",
    )  # fmt: skip
    assert scripted.code == EXIT_RUN_TIMEOUT
    assert json.loads(scripted.out)["status"] == "running"


def test_a_failed_run_exits_non_zero_with_json_too(cli: Run, tmp_path: Path) -> None:
    rows = write_jsonl(tmp_path / "rows.jsonl", sample_rows(cli, TASK, 2))
    argv = ["evals", "runs", "create", "--task", TASK, "--file", rows, "--model", "nope-9"]
    result = cli(*argv, "--wait", "--poll-interval", "0.01")
    assert result.code == EXIT_RUN_FAILED == 3
    assert "failed" in result.out
    assert re.match(r"eval run run_\w+ failed: Unknown model id\(s\)", result.err)
    scripted = cli(*argv, "--wait", "--poll-interval", "0.01", "--json")
    assert scripted.code == EXIT_RUN_FAILED
    run = json.loads(scripted.out)
    assert run["run"]["status"] == "failed"
    assert scripted.err == ""
    shown = cli("evals", "runs", "show", run["run"]["id"], "--json")
    assert shown.code == EXIT_RUN_FAILED
    # Not waited for, the run is still running: nothing has failed yet.
    assert cli(*argv).code == 0


def test_rows_that_do_not_fit_the_task_are_refused_before_anything_is_created(
    cli: Run, tmp_path: Path
) -> None:
    rows = write_jsonl(
        tmp_path / "rows.jsonl", [{"text": "Effective 2026-01-01.", "label": "contract"}]
    )
    before = cli("evals", "sets", "list", "--json").json()
    for argv in (
        ["evals", "sets", "create", rows, "--task", TASK],
        ["evals", "runs", "create", "--task", TASK, "--file", rows, "--model", "qwen-1"],
    ):
        refused = cli(*argv)
        assert refused.code == 1
        assert refused.err.startswith(
            f"error: {rows}: items[0]: missing field 'expected', the answer the row is graded "
            "against (its fields: 'text', 'label')"
        )
        assert "--no-check" in refused.err
    extra = write_jsonl(tmp_path / "extra.jsonl", [{**sample_rows(cli, TASK, 1)[0], "id": 1}])
    refused = cli("evals", "sets", "create", extra, "--task", TASK)
    assert (refused.code, refused.err.split(". ")[0]) == (
        1,
        f"error: {extra}: items[0]: unexpected field 'id'",
    )
    assert cli("evals", "sets", "list", "--json").json() == before
    taken = cli("evals", "sets", "create", rows, "--task", TASK, "--no-check")
    assert taken.code == 0, taken.err
    assert re.fullmatch(
        r"eval set es_\w+: 1 row for contract-key-fields\n", taken.out.splitlines(True)[0]
    )


def test_every_option_has_help() -> None:
    import argparse

    from pareta.cli.app import build_parser

    def bare(parser: argparse.ArgumentParser, path: str) -> list[str]:
        found = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    found += bare(child, f"{path} {name}")
            elif not action.help:
                found.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
        return found

    assert bare(build_parser(), "pareta") == []
