"""The Pareto front of quality against cost, on hand-made boards and generated ones."""

from __future__ import annotations

import itertools
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pareta import EvalRun, Leaderboard
from pareta._objects.pareto import dominates, pareto_front, placed


def entry(name: str, quality: Any, cost: Any, kind: str = "open") -> dict[str, Any]:
    return {"name": name, "kind": kind, "quality": quality, "cost_per_request_micro_usd": cost}


def names(entries: list[Any]) -> list[str | None]:
    return [e.name for e in entries]


def test_the_front_of_a_hand_made_board_is_its_undominated_models_cheapest_first() -> None:
    board = Leaderboard(
        {
            "task_id": "t",
            "models": [
                entry("best-open", 0.95, 70),
                entry("pricier-and-worse", 0.94, 80),  # beaten by best-open
                entry("cheap", 0.80, 20),
                entry("middle", 0.90, 40),
                entry("same-price-worse", 0.85, 40),  # beaten by middle
                entry("dearer-same-quality", 0.90, 45),  # beaten by middle
            ],
            "frontier": entry("gpt-4o", 0.97, 900, kind="frontier"),
        }
    )
    assert names(board.pareto_front()) == ["cheap", "middle", "best-open", "gpt-4o"]


def test_the_frontier_entry_counts_once_even_when_the_ranking_lists_it() -> None:
    frontier = entry("gpt-4o", 0.99, 900, kind="frontier")
    board = Leaderboard({"models": [entry("a", 0.9, 10), frontier], "frontier": frontier})
    assert names(board.pareto_front()) == ["a", "gpt-4o"]


def test_a_frontier_that_is_beaten_is_left_off() -> None:
    board = Leaderboard(
        {"models": [entry("a", 0.95, 10)], "frontier": entry("f", 0.9, 900, kind="frontier")}
    )
    assert names(board.pareto_front()) == ["a"]


def test_exact_ties_are_both_on_the_front_in_the_servers_order() -> None:
    board = Leaderboard(
        {"models": [entry("z", 0.9, 50), entry("a", 0.9, 50), entry("cheap", 0.8, 10)]}
    )
    assert names(board.pareto_front()) == ["cheap", "z", "a"]


def test_entries_without_a_quality_or_a_cost_are_neither_on_nor_beaten_by_the_front() -> None:
    board = Leaderboard(
        {
            "models": [
                entry("no-cost", 0.99, None),
                entry("no-quality", None, 1),
                entry("nan-quality", float("nan"), 1),
                entry("negative-cost", 0.99, -5),
                entry("text-quality", "0.99", 1),
                entry("placed", 0.5, 100),
            ]
        }
    )
    assert names(board.pareto_front()) == ["placed"]


def test_a_free_model_can_lead_the_front() -> None:
    board = Leaderboard({"models": [entry("free", 0.7, 0), entry("paid", 0.9, 10)]})
    assert names(board.pareto_front()) == ["free", "paid"]


def test_an_empty_board_has_an_empty_front() -> None:
    assert Leaderboard({}).pareto_front() == []
    assert EvalRun({}).pareto_front() == []


def test_an_eval_runs_front_reads_mean_quality_and_cost_per_item() -> None:
    def result(model: str, quality: float | None, cost: int | None) -> dict[str, Any]:
        return {"model_id": model, "quality_mean": quality, "mean_cost_micro_usd": cost}

    run = EvalRun(
        {
            "run": {"id": "run_1", "status": "completed"},
            "results": [
                result("gpt-4o", 0.97, 870),
                result("qwen-1", 0.92, 66),
                result("all-failed", None, None),
                result("contract-1", 0.95, 70),
                result("slow-and-bad", 0.90, 75),
            ],
        }
    )
    assert [r.model_id for r in run.pareto_front()] == ["qwen-1", "contract-1", "gpt-4o"]


def test_dominance_needs_one_strict_advantage() -> None:
    assert dominates((0.9, 10), (0.8, 10))
    assert dominates((0.9, 10), (0.9, 20))
    assert not dominates((0.9, 10), (0.9, 10))
    assert not dominates((0.9, 20), (0.8, 10))
    assert placed((0.9, math.inf)) is None


# -- generated boards ----------------------------------------------------------------------

qualities = st.one_of(
    st.none(), st.floats(0, 1), st.sampled_from([0.5, 0.9]), st.just(float("nan"))
)
costs = st.one_of(st.none(), st.integers(-3, 2_000), st.sampled_from([10, 70]))
boards = st.lists(st.tuples(qualities, costs), max_size=25)


def points(generated: list[tuple[Any, Any]]) -> list[tuple[int, Any, Any]]:
    return [(index, quality, cost) for index, (quality, cost) in enumerate(generated)]


def xy(item: tuple[int, Any, Any]) -> tuple[Any, Any]:
    return item[1], item[2]


@given(boards)
def test_every_returned_entry_is_undominated(generated: list[tuple[Any, Any]]) -> None:
    items = points(generated)
    front = pareto_front(items, xy)
    comparable = [p for p in (placed(xy(item)) for item in items) if p is not None]
    for member in front:
        point = placed(xy(member))
        assert point is not None
        assert not any(dominates(other, point) for other in comparable)


@given(boards)
def test_every_left_out_entry_is_dominated_by_a_returned_one(
    generated: list[tuple[Any, Any]],
) -> None:
    items = points(generated)
    front = pareto_front(items, xy)
    on_front = [placed(xy(member)) for member in front]
    for item in items:
        point = placed(xy(item))
        if item in front or point is None:
            continue
        assert any(dominates(member, point) for member in on_front if member is not None)


@given(boards)
def test_the_front_runs_cheapest_first_with_quality_rising(
    generated: list[tuple[Any, Any]],
) -> None:
    front = [placed(xy(member)) for member in pareto_front(points(generated), xy)]
    for before, after in itertools.pairwise(front):
        assert before is not None
        assert after is not None
        # (quality, cost): both rise from one to the next, unless the two are a tie.
        assert before == after or (before[0] < after[0] and before[1] < after[1])


@given(boards)
def test_the_front_of_the_front_is_itself(generated: list[tuple[Any, Any]]) -> None:
    front = pareto_front(points(generated), xy)
    assert pareto_front(front, xy) == front
