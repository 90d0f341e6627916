from __future__ import annotations

import re

from pareta.local import LocalServer

from .helpers import Run

TASK = "contract-key-fields"
CONTRACT = (
    "This Agreement is made between Acme Corp and Globex LLC, effective as of January 1, 2026."
)


def test_deploy_shows_its_stages_and_the_live_endpoint(cli: Run) -> None:
    result = cli("endpoints", "deploy", "--task", TASK)
    assert result.code == 0, result.err
    # Not a terminal: one line per stage instead of a live bar.
    stages = re.findall(
        r"deploying recommended for contract-key-fields: (.+) \((\d+)%\)", result.out
    )
    assert stages[0] == ("resolving model", "5")
    assert stages[-1] == ("live", "100")
    endpoint_id = re.search(r"endpoint (ep_\w+) is live", result.out)
    assert endpoint_id is not None
    assert f'pareta chat {endpoint_id.group(1)} "hello"' in result.out


def test_an_endpoint_from_deploy_to_delete(cli: Run) -> None:
    board = cli("tasks", "leaderboard", TASK, "--json").json()
    model = board["models"][1]["name"]
    endpoint = cli("endpoints", "deploy", "--task", TASK, "--model", model, "--json").json()
    assert endpoint["status"] == "live"
    assert endpoint["model"] == model
    endpoint_id = endpoint["id"]

    assert cli("endpoints", "show", endpoint_id, "--json").json()["id"] == endpoint_id
    assert endpoint_id in {ep["id"] for ep in cli("endpoints", "list", "--json").json()}
    listing = cli("endpoints", "list")
    assert re.search(rf"{endpoint_id}\s+{TASK}\s+{re.escape(model)}\s+live", listing.out)
    shown = cli("endpoints", "show", endpoint_id)
    assert re.search(r"url\s+http://127\.0\.0\.1:\d+/v1", shown.out)

    stopped = cli("endpoints", "stop", endpoint_id, "--json").json()
    assert stopped["status"] == "stopped"
    assert (
        cli("endpoints", "start", endpoint_id).out == f"endpoint {endpoint_id} started: starting\n"
    )

    deleted = cli("endpoints", "delete", endpoint_id, "--json").json()
    assert deleted == {"id": endpoint_id, "deleted": True}
    gone = cli("endpoints", "show", endpoint_id)
    assert gone.code == 1
    assert gone.err.startswith("NotFoundError: ")
    assert endpoint_id in gone.err
    assert re.search(r"request id req_\w+", gone.err)


def test_deploy_of_an_unknown_task_fails_cleanly(cli: Run) -> None:
    result = cli("endpoints", "deploy", "--task", "no-such-task")
    assert result.code == 1
    assert result.err.startswith("ParetaError: deploy failed: Unknown task 'no-such-task'")
    assert "Traceback" not in result.err


def test_chat_streams_the_same_answer_it_gives_whole(cli: Run) -> None:
    endpoint_id = cli("endpoints", "deploy", "--task", TASK, "--json").json()["id"]
    streamed = cli("chat", endpoint_id, CONTRACT)
    whole = cli("chat", endpoint_id, CONTRACT, "--no-stream")
    assert streamed.code == whole.code == 0
    assert streamed.out == whole.out
    assert '"Acme Corp"' in streamed.out
    assert "2026-01-01" in streamed.out
    completion = cli("chat", endpoint_id, CONTRACT, "--system", "Answer in JSON.", "--json").json()
    assert completion["object"] == "chat.completion"
    assert completion["choices"][0]["message"]["content"] + "\n" == whole.out
    assert completion["usage"]["total_tokens"] > 0

    performance = cli("endpoints", "metrics", endpoint_id, "--dimension", "performance", "--json")
    assert performance.json()["request_count"] == 3
    activity = cli("endpoints", "metrics", endpoint_id, "--dimension", "activity", "--json").json()
    assert activity["streamed_count"] == 1


def test_metrics_read_every_dimension(cli: Run) -> None:
    endpoint_id = cli("endpoints", "deploy", "--task", TASK, "--json").json()["id"]
    assert cli("chat", endpoint_id, CONTRACT).code == 0
    every = cli("endpoints", "metrics", endpoint_id, "--json").json()
    assert set(every) == {"performance", "uptime", "cost", "quality", "activity"}
    assert every["cost"]["request_count"] == 1
    human = cli("endpoints", "metrics", endpoint_id)
    for dimension in every:
        assert f"{dimension} of {endpoint_id}" in human.out
    spent = every["cost"]["total_micro_usd"]
    assert f"${spent / 1_000_000:.6f} ({spent} micro-USD)" in human.out
    windowed = cli(
        "endpoints", "metrics", endpoint_id, "--dimension", "cost", "--param", "window=1h", "--json"
    )
    assert windowed.json()["window"] == "1h"


def test_metrics_param_must_be_key_value(cli: Run) -> None:
    result = cli("endpoints", "metrics", "ep_a1b2c3", "--param", "window")
    assert result.code == 2
    assert "expected KEY=VALUE" in result.err


def test_a_bad_metrics_param_is_the_servers_422(cli: Run) -> None:
    result = cli("endpoints", "metrics", "ep_a1b2c3", "--dimension", "cost", "--param", "window=5y")
    assert result.code == 1
    assert result.err.startswith("BadRequestError: ")
    assert "window must look like" in result.err
    assert "status 422" in result.err


def test_chat_without_credit_says_how_to_top_up(cli: Run, server: LocalServer) -> None:
    balance = server.balance()
    server.set_balance(0)
    try:
        result = cli("chat", "ep_a1b2c3", "hello")
    finally:
        server.set_balance(balance)
    assert result.code == 1
    assert result.err.startswith("InsufficientCreditsError: ")
    assert "status 402" in result.err
    assert "top it up in the Pareta dashboard" in result.err


def test_delete_says_what_it_deleted(cli: Run) -> None:
    endpoint_id = cli("endpoints", "deploy", "--task", TASK, "--json").json()["id"]
    deleted = cli("endpoints", "delete", endpoint_id)
    assert (deleted.code, deleted.out) == (0, f"endpoint {endpoint_id} deleted\n")
    assert endpoint_id not in {ep["id"] for ep in cli("endpoints", "list", "--json").json()}
