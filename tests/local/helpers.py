from __future__ import annotations

import json
import time
from typing import Any

import httpx

from pareta.local.state import SEED_EVAL_SET, SEED_RUN

# Every org's seeded eval set and run, listed beside the ones a test creates.
SEED_SET = SEED_EVAL_SET[0]
SEED_RUN_ID = SEED_RUN[0]
CONTRACT = (
    "MASTER SERVICES AGREEMENT\nThis Agreement is entered into between Acme Corp and Globex LLC, "
    "effective as of January 1, 2026.\nTerm: 24 months. This Agreement terminates on 2027-12-31.\n"
    "Annual fee: $48,000.\nThis Agreement is governed by the laws of the State of Delaware."
)


def chat_body(
    model: str = "ep_contract_kie", content: str = CONTRACT, **extra: Any
) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}], **extra}


def sse_events(text: str) -> list[tuple[str | None, str]]:
    """(event name, data) for each server-sent event in a body."""
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        name, data = None, []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        events.append((name, "\n".join(data)))
    return events


def stream_chunks(text: str) -> list[dict[str, Any]]:
    return [json.loads(data) for _, data in sse_events(text) if data != "[DONE]"]


def create_eval_set(
    client: httpx.Client, task_id: str, rows: list[dict[str, Any]], name: str | None = None
) -> dict[str, Any]:
    jsonl = "\n".join(json.dumps(r) for r in rows).encode()
    data = {"task_id": task_id, **({"name": name} if name else {})}
    response = client.post("/v1/eval-sets", data=data, files={"items": ("items.jsonl", jsonl)})
    assert response.status_code == 200, response.text
    eval_set: dict[str, Any] = response.json()["eval_set"]
    return eval_set


def wait_for_run(client: httpx.Client, run_id: str, patience: float = 120.0) -> dict[str, Any]:
    """Poll until terminal; each GET is a real round trip, so no sleeping is needed.

    `patience` bounds a run that never ends (its first chunk may wait for the worker
    processes to start), it is not a measure of speed."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/v1/eval-runs/{run_id}").json()
        if body["run"]["status"] in ("completed", "failed"):
            return body
    raise AssertionError(f"run {run_id} never finished")
