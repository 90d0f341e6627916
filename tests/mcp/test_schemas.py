"""The text summaries of tool results, for what the local server never sends."""

from __future__ import annotations

from pareta.mcp.schemas import (
    BatchOut,
    Candidate,
    EndpointListOut,
    EvalRunOut,
    LeaderboardOut,
    MetricsOut,
    TaskMatchOut,
)


def test_no_confident_match_lists_the_candidates() -> None:
    match = TaskMatchOut(
        query="x",
        chosen=None,
        candidates=[Candidate(task_id="a"), Candidate(task_id="b")],
        ambiguous=True,
    )
    assert match.summary() == "no task matched with confidence; candidates: a, b"
    alone = TaskMatchOut(query="x", chosen=None, candidates=[], ambiguous=False)
    assert alone.summary() == "no task matched with confidence; candidates: none"
    sure = TaskMatchOut(
        query="x",
        chosen=Candidate(task_id="a", confidence="high"),
        candidates=[Candidate(task_id="a", confidence="high")],
        ambiguous=False,
    )
    assert sure.summary() == "matched a (high confidence)"


def test_a_board_without_a_pick_or_a_baseline() -> None:
    board = LeaderboardOut(task_id="t", recommended=None, models=[], frontier=None, pareto_front=[])
    assert board.summary() == "t: recommended none\nPareto front (cheapest first): "


def test_a_run_without_an_open_winner() -> None:
    run = EvalRunOut(id="run_1", status="completed", terminal=True, cost_micro_usd=None)
    assert run.summary() == "eval run run_1 completed, billed unknown"


def test_no_endpoints_and_metrics_without_scalars() -> None:
    assert EndpointListOut(endpoints=[]).summary() == "no endpoints"
    metrics = MetricsOut(endpoint_id="ep", dimension="uptime", report={"series": []})
    assert metrics.summary() == "uptime of ep: see the structured result"


def test_a_stopped_batch_says_why() -> None:
    batch = BatchOut(
        output_path="/o.jsonl",
        running=False,
        answered=3,
        failed=1,
        stopped={"reason": "insufficient_credits", "detail": "402"},
    )
    assert batch.summary() == (
        "batch /o.jsonl: not running, 3 answered, 1 failed; stopped: insufficient_credits"
    )
