"""An Idempotency-Key replays by content: multipart and JSON bodies, from any client."""

from __future__ import annotations

import json

import httpx

import pareta
from pareta.local import LocalServer

from .helpers import chat_body

ROWS = [{"input": "I love it", "expected": "positive"}, {"input": "awful", "expected": "negative"}]


def _multipart(client: httpx.Client, key: str, rows: list[dict[str, str]]) -> httpx.Response:
    jsonl = "\n".join(json.dumps(r) for r in rows).encode()
    return client.post(
        "/v1/eval-sets",
        data={"task_id": "sentiment-analysis", "name": "replayed"},
        files={"items": ("items.jsonl", jsonl, "application/x-ndjson")},
        headers={"Idempotency-Key": key},
    )


def test_a_multipart_request_with_another_boundary_replays(client: httpx.Client) -> None:
    first = _multipart(client, "set-1", ROWS)
    again = _multipart(client, "set-1", ROWS)  # httpx picks a new random boundary
    assert first.request.headers["content-type"] != again.request.headers["content-type"]
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    listed = client.get("/v1/eval-sets").json()["eval_sets"]
    assert sum(s["name"] == "replayed" for s in listed) == 1


def test_a_multipart_request_with_other_content_is_422(client: httpx.Client) -> None:
    assert _multipart(client, "set-2", ROWS).status_code == 200
    other = _multipart(client, "set-2", ROWS[:1])
    assert other.status_code == 422
    assert "different request" in other.json()["detail"]


def test_json_replays_whatever_its_key_order_and_spacing(client: httpx.Client) -> None:
    body = chat_body()
    compact = json.dumps(body, separators=(",", ":")).encode()
    spaced = json.dumps(dict(reversed(list(body.items()))), indent=2).encode()
    headers = {"Idempotency-Key": "chat-1", "Content-Type": "application/json"}
    first = client.post("/v1/chat/completions", content=compact, headers=headers)
    again = client.post("/v1/chat/completions", content=spaced, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content


def test_the_sdk_replays_an_eval_set_from_two_clients(server: LocalServer) -> None:
    key = server.mint_key()
    sent: list[bytes] = []

    def record(request: httpx.Request) -> None:
        sent.append(request.read())

    ids = []
    for _ in range(2):  # two clients, as a job and its restarted self
        with (
            httpx.Client(event_hooks={"request": [record]}) as http_client,
            pareta.Pareta(api_key=key, base_url=server.base_url, http_client=http_client) as pa,
        ):
            created = pa.evals.sets.create(
                task="sentiment-analysis", items=ROWS, idempotency_key="job-42-set"
            )
            ids.append(created.id)
    assert ids[0] == ids[1]
    assert sent[0] == sent[1]  # byte-identical: the boundary comes from the key
    with pareta.Pareta(api_key=key, base_url=server.base_url) as pa:
        names = [s.name for s in pa.evals.sets.list()]
    assert len([n for n in names if n and n.startswith("sdk eval set")]) == 1


def test_the_sdk_replays_an_inline_run_from_two_clients(server: LocalServer) -> None:
    key = server.mint_key()
    runs = []
    for _ in range(2):
        with pareta.Pareta(api_key=key, base_url=server.base_url) as pa:
            run = pa.evals.runs.create(
                task="sentiment-analysis",
                items=ROWS,
                models=["recommended"],
                idempotency_key="run-7",
            )
            runs.append(run.id)
    assert runs[0] == runs[1]
