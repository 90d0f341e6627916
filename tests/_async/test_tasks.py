from __future__ import annotations

import pytest

from pareta import Leaderboard, Task, TaskMatch
from tests._async.helpers import mocked
from tests.helpers import BASE_URL, Recorder, json_response

pytestmark = pytest.mark.anyio

TASK = {
    "id": "contract-key-fields",
    "default_scorer": "field_f1",
    "has_blob_input": False,
    "examples": [{"input": "x", "expected": {"effective_date": "2026-01-01"}}],
}
BOARD = {
    "task_id": "contract-key-fields",
    "metric": "quality",
    "cost_unit": "per_request",
    "recommended": "qwen-1",
    "models": [
        {
            "name": "qwen-1",
            "kind": "open",
            "quality": 0.91,
            "cost_per_request_micro_usd": 850,
            "context_k": 32,
            "run_mode": "rte",
        },
        {"name": "llama-2", "kind": "open", "quality": 0.88, "cost_per_request_micro_usd": 600},
    ],
    "frontier": {"name": "gpt-4o", "kind": "frontier", "quality": 0.93},
}
MATCH = {
    "query": "extract key fields from contracts",
    "matched": True,
    "chosen": {"task_id": "contract-key-fields", "score": 0.82, "confidence": "high"},
    "candidates": [
        {"task_id": "contract-key-fields", "score": 0.82, "confidence": "high"},
        {"task_id": "invoice-extraction", "score": 0.31, "confidence": "low"},
    ],
    "ambiguous": False,
    "matcher": "keyword",
}


make = mocked


async def test_list_and_retrieve() -> None:
    recorder = Recorder(json_response(200, {"tasks": [TASK]}), json_response(200, TASK))
    client = make(recorder)
    tasks = await client.tasks.list()
    assert [t.id for t in tasks] == ["contract-key-fields"]
    task = await client.tasks.retrieve("contract-key-fields", examples_n=3)
    assert isinstance(task, Task)
    assert task.default_scorer == "field_f1"
    assert task.has_blob_input is False
    assert task.to_dict()["examples"] == TASK["examples"]
    assert recorder.requests[1].url.params["examples_n"] == "3"
    assert "examples_n" not in recorder.requests[0].url.params


async def test_retrieve_without_examples_sends_no_query() -> None:
    recorder = Recorder(json_response(200, {"task": TASK}))
    task = await make(recorder).tasks.retrieve("contract-key-fields")
    assert task.id == "contract-key-fields"
    assert str(recorder.last.url) == f"{BASE_URL}/v1/tasks/contract-key-fields"


async def test_match_posts_query_and_top_k() -> None:
    recorder = Recorder(json_response(200, MATCH))
    m = await make(recorder).tasks.match("extract key fields from contracts", top_k=3)
    assert isinstance(m, TaskMatch)
    assert m.matched
    assert m.chosen is not None
    assert m.chosen.task_id == "contract-key-fields"
    assert m.chosen.score == 0.82
    assert m.chosen.confidence == "high"
    assert [c.task_id for c in m.candidates] == ["contract-key-fields", "invoice-extraction"]
    assert m.ambiguous is False
    assert m.matcher == "keyword"
    assert m.query == MATCH["query"]
    assert recorder.body() == {"query": "extract key fields from contracts", "top_k": 3}
    assert recorder.last.url.path == "/v1/tasks/match"


async def test_match_defaults_top_k_to_5() -> None:
    recorder = Recorder(json_response(200, MATCH))
    await make(recorder).tasks.match("contracts")
    assert recorder.body()["top_k"] == 5


@pytest.mark.parametrize(
    ("query", "top_k", "error"),
    [
        ("", 5, ValueError),
        ("   ", 5, ValueError),
        ("ok", 0, ValueError),
        ("ok", -1, ValueError),
        ("ok", "5", TypeError),
        ("ok", True, TypeError),
    ],
)
async def test_match_checks_arguments_first(query: str, top_k: object, error: type) -> None:
    recorder = Recorder(json_response(200, MATCH))
    with pytest.raises(error):
        await make(recorder).tasks.match(query, top_k=top_k)  # type: ignore[arg-type]
    assert recorder.requests == []


async def test_leaderboard_and_recommended() -> None:
    recorder = Recorder(json_response(200, BOARD))
    client = make(recorder)
    board = await client.tasks.leaderboard("contract-key-fields")
    assert isinstance(board, Leaderboard)
    assert board.recommended == "qwen-1"
    assert board.metric == "quality"
    assert board.cost_unit == "per_request"
    assert board.task_id == "contract-key-fields"
    top = board.models[0]
    assert (top.name, top.kind, top.quality) == ("qwen-1", "open", 0.91)
    assert top.cost_per_request_micro_usd == 850
    assert top.context_k == 32
    assert top.run_mode == "rte"
    assert board.models[1].context_k is None
    assert board.frontier is not None
    assert board.frontier.name == "gpt-4o"
    assert await client.tasks.recommended("contract-key-fields") == "qwen-1"
    assert recorder.last.url.path == "/v1/tasks/contract-key-fields/leaderboard"


async def test_recommended_is_none_without_ranked_models() -> None:
    recorder = Recorder(json_response(200, {"task_id": "t", "models": []}))
    assert await make(recorder).tasks.recommended("t") is None


async def test_examples_n_must_be_positive() -> None:
    recorder = Recorder(json_response(200, TASK))
    with pytest.raises(ValueError, match="examples_n"):
        await make(recorder).tasks.retrieve("contract-key-fields", examples_n=0)
    assert recorder.requests == []
