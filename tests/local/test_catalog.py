from __future__ import annotations

import json

import httpx
import pytest

from pareta.local.matcher import _normalize
from pareta.local.tasks import FRONTIER, TASKS

SPEC_ALIASES = {
    "contract-key-fields": [
        "llama-1",
        "llama-2",
        "qwen-1",
        "qwen-2",
        "mistral-2",
        "qwen-vl-2",
        "contract-1",
        "contract-2",
        "contract-kie-1",
        "contract-kie-2",
        "contract-key-fields-open-1",
        "contract-key-fields-open-2",
    ],
    "invoice-extraction": ["qwen2.5-vl-1", "internvl-1", "qwen-1", "pixtral-1"],
    "doc-classification": ["llama-1", "qwen-2"],
}
# Ids of real open-weights checkpoints must never leave the server.
REAL_MODEL_NAMES = ("meta-llama", "Qwen/", "Qwen2", "mistralai", "Llama-3", "instruct")


def test_catalog_has_text_and_document_tasks(client: httpx.Client) -> None:
    tasks = {t["id"]: t for t in client.get("/v1/tasks").json()["tasks"]}
    assert len(tasks) >= 10
    for task_id in (
        "contract-key-fields",
        "invoice-extraction",
        "document-extraction",
        "support-ticket-classification",
        "content-moderation",
        "doc-classification",
    ):
        assert task_id in tasks
    assert tasks["invoice-extraction"]["has_blob_input"] is True
    assert tasks["invoice-extraction"]["default_scorer"] == "field_f1"
    assert tasks["contract-key-fields"]["scoring_strategy"] == "extraction"
    assert tasks["support-ticket-classification"]["scoring_strategy"] == "classification"
    assert {t["has_blob_input"] for t in tasks.values()} == {True, False}


@pytest.mark.parametrize(("task_id", "aliases"), SPEC_ALIASES.items())
def test_spec_aliases_are_on_their_task(
    client: httpx.Client, task_id: str, aliases: list[str]
) -> None:
    board = client.get(f"/v1/tasks/{task_id}/leaderboard").json()
    names = {e["name"] for e in board["models"]}
    assert set(aliases) <= names


def test_leaderboard_shape_and_ranking(client: httpx.Client) -> None:
    board = client.get("/v1/tasks/contract-key-fields/leaderboard").json()
    assert board["task_id"] == "contract-key-fields"
    assert board["metric"] == "quality"
    assert board["cost_unit"] == "per_request"
    assert board["recommended"] in {e["name"] for e in board["models"]}
    entry = board["models"][0]
    assert set(entry) == {
        "name",
        "kind",
        "quality",
        "cost_per_request_micro_usd",
        "context_k",
        "run_mode",
    }
    assert all(e["kind"] == "open" for e in board["models"])
    qualities = [e["quality"] for e in board["models"]]
    assert qualities == sorted(qualities, reverse=True)
    assert all(0 <= q <= 1 for q in qualities)
    frontier = board["frontier"]
    assert frontier["kind"] == "frontier"
    assert frontier["name"] == "gpt-4o"
    cheapest_open = min(e["cost_per_request_micro_usd"] for e in board["models"])
    assert frontier["cost_per_request_micro_usd"] > cheapest_open


def test_no_real_model_id_in_any_response(client: httpx.Client) -> None:
    bodies = [client.get("/v1/tasks").text, client.get("/v1/endpoints").text]
    bodies += [client.get(f"/v1/tasks/{t.id}/leaderboard").text for t in TASKS]
    for body in bodies:
        assert not any(name in body for name in REAL_MODEL_NAMES)


def test_frontier_roster(client: httpx.Client) -> None:
    everything = client.get("/v1/eval/frontier-models").json()["frontier_models"]
    assert {m["id"] for m in everything} == {f.id for f in FRONTIER}
    assert {"gpt-4o", "claude-sonnet-4", "gemini-1.5-pro"} <= {m["id"] for m in everything}
    assert not any(m["benchmarked"] for m in everything)
    assert set(everything[0]) == {"id", "vendor", "vision", "benchmarked"}
    text = client.get("/v1/eval/frontier-models", params={"task": "contract-key-fields"}).json()
    assert len(text["frontier_models"]) == len(everything)
    assert any(m["benchmarked"] for m in text["frontier_models"])
    docs = client.get("/v1/eval/frontier-models", params={"task": "invoice-extraction"}).json()
    assert docs["frontier_models"]
    assert all(m["vision"] for m in docs["frontier_models"])


@pytest.mark.parametrize(
    ("query", "task_id"),
    [
        ("extract key fields from contracts", "contract-key-fields"),
        ("pull key fields out of contracts", "contract-key-fields"),
        ("pull key fields out of vendor contracts", "contract-key-fields"),
        ("pull totals and dates out of vendor invoices", "invoice-extraction"),
        ("pull line items and totals out of vendor invoices", "invoice-extraction"),
        ("extract totals and line items from vendor invoices", "invoice-extraction"),
        ("classify support tickets by urgency", "support-ticket-classification"),
        ("moderate a comment", "content-moderation"),
    ],
)
def test_matcher_finds_the_spec_queries(client: httpx.Client, query: str, task_id: str) -> None:
    match = client.post("/v1/tasks/match", json={"query": query, "top_k": 5}).json()
    assert match["query"] == query
    assert match["matcher"] == "keyword"
    assert match["matched"] is True
    assert match["chosen"]["task_id"] == task_id
    assert match["chosen"]["confidence"] == "high"
    assert match["candidates"][0] == match["chosen"]
    assert all(0 <= c["score"] <= 1 for c in match["candidates"])
    assert len(match["candidates"]) <= 5


def test_matcher_no_match_and_ambiguity(client: httpx.Client) -> None:
    nothing = client.post("/v1/tasks/match", json={"query": "what is the weather"}).json()
    assert nothing["matched"] is False
    assert nothing["chosen"] is None
    assert nothing["candidates"] == []
    both = client.post("/v1/tasks/match", json={"query": "invoice or receipt totals"}).json()
    assert both["ambiguous"] is True
    top_one = client.post("/v1/tasks/match", json={"query": "invoice", "top_k": 1}).json()
    assert len(top_one["candidates"]) == 1
    again = client.post("/v1/tasks/match", json={"query": "invoice or receipt totals"}).json()
    assert json.dumps(again) == json.dumps(both)


def test_matcher_stems_plurals() -> None:
    assert _normalize("Parties, Invoices, boxes, batches, wishes, classes and bus") == (
        "party invoice box batch wish class and bus"
    )


def test_matcher_treats_ies_plurals_as_their_singular(client: httpx.Client) -> None:
    plural = client.post("/v1/tasks/match", json={"query": "contract parties"}).json()
    singular = client.post("/v1/tasks/match", json={"query": "contract party"}).json()
    assert plural["candidates"] == singular["candidates"]
    assert plural["candidates"][0]["task_id"] == "contract-key-fields"
    bare = client.post("/v1/tasks/match", json={"query": "contract"}).json()
    assert plural["candidates"][0]["score"] > bare["candidates"][0]["score"]
