from __future__ import annotations

import re

import pytest

from .helpers import Run

TASK = "contract-key-fields"


def test_list_shows_every_task_and_its_input_kind(cli: Run) -> None:
    human = cli("tasks", "list")
    assert human.code == 0
    assert re.search(r"contract-key-fields\s+field_f1\s+text", human.out)
    assert re.search(r"invoice-extraction\s+field_f1\s+document", human.out)
    tasks = cli("tasks", "list", "--json").json()
    assert {"contract-key-fields", "invoice-extraction"} <= {t["id"] for t in tasks}
    assert all("default_scorer" in t and "has_blob_input" in t for t in tasks)


def test_global_json_flag_works_before_the_command(cli: Run) -> None:
    assert cli("--json", "tasks", "list").json() == cli("tasks", "list", "--json").json()


def test_show_with_examples(cli: Run) -> None:
    task = cli("tasks", "show", TASK, "--examples", "2", "--json").json()
    assert task["id"] == TASK
    assert len(task["examples"]) == 2
    assert {"input", "expected"} <= set(task["examples"][0])
    human = cli("tasks", "show", TASK, "--examples", "2")
    assert "default_scorer" in human.out
    assert "field_f1" in human.out
    assert "Examples (2):" in human.out
    assert task["examples"][1]["expected"]["effective_date"] in human.out


def test_match_picks_the_contract_task(cli: Run) -> None:
    match = cli("tasks", "match", "extract the key fields from a contract", "--json").json()
    assert match["matched"] is True
    assert match["chosen"]["task_id"] == TASK
    human = cli("tasks", "match", "extract the key fields from a contract", "--top-k", "2")
    assert human.code == 0
    assert f"matched {TASK}" in human.out
    assert (
        len(cli("tasks", "match", "contracts", "--top-k", "2", "--json").json()["candidates"]) <= 2
    )


def test_match_on_a_blank_query_is_a_usage_error(cli: Run) -> None:
    result = cli("tasks", "match", "   ")
    assert result.code == 2
    assert "query" in result.err
    assert result.out == ""


@pytest.mark.slow
def test_leaderboard_shows_dollars_per_request(cli: Run) -> None:
    board = cli("tasks", "leaderboard", TASK, "--json").json()
    top = board["models"][0]
    human = cli("tasks", "leaderboard", TASK)
    assert human.code == 0
    assert f"recommended: {board['recommended']}" in human.out
    dollars = f"${top['cost_per_request_micro_usd'] / 1_000_000:.6f}"
    assert re.search(
        rf"{re.escape(top['name'])}\s+open\s+{top['quality']:.3f}\s+{re.escape(dollars)}", human.out
    )
    assert board["frontier"]["name"] in human.out


def test_unknown_task_is_not_found_with_a_request_id(cli: Run) -> None:
    result = cli("tasks", "leaderboard", "no-such-task")
    assert result.code == 1
    assert result.out == ""
    assert result.err.startswith("NotFoundError: ")
    assert re.search(r"status 404, request id req_\w+", result.err)
    assert "Traceback" not in result.err


def test_an_unclear_match_says_so(cli: Run) -> None:
    result = cli("tasks", "match", "extract fields")
    assert result.code == 0
    assert "matched " not in result.out
    assert "no confident match: pick a task above" in result.out
    assert "the top candidates scored close together" in result.out
    nothing = cli("tasks", "match", "weather forecast for tomorrow")
    assert nothing.code == 0
    assert "(none)" in nothing.out
    assert "no confident match" in nothing.out


def test_the_demo_stops_on_an_unclear_intent(cli: Run) -> None:
    result = cli("demo", "--intent", "weather forecast for tomorrow")
    assert result.code == 1
    assert (
        result.err
        == "ParetaError: no task matched 'weather forecast for tomorrow' (closest: none)\n"
    )


def test_show_without_examples_prints_only_the_fields(cli: Run) -> None:
    human = cli("tasks", "show", TASK)
    assert human.code == 0, human.err
    assert re.search(rf"id\s+{TASK}", human.out)
    assert "Examples" not in human.out
