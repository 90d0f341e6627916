"""What an org owns: endpoints (with their traffic), eval sets, eval runs.

Plain records, importable by every layer (the scoring pool, the routes, the
metrics) without the state that holds them.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .catalog import ModelRef
from .rolling import Rolling
from .storage import Blob, UploadClaims
from .tasks import Task

TRAFFIC_KEPT = 100_000


class Traffic(NamedTuple):
    """One served (or refused) inference request on an endpoint.

    Kept in a `Rolling` log, so a server holding many collects as fast as an empty one.
    """

    at: float
    latency_ms: float
    status: int
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_micro_usd: int = 0
    frontier_cost_micro_usd: int = 0
    quality: float | None = None
    stream: bool = False


@dataclass
class Endpoint:
    id: str
    task: Task
    model: ModelRef
    created: float
    transitions: list[tuple[float, str]]
    extra: dict[str, Any] = field(default_factory=dict)
    seed: bool = False
    # Metrics read the most recent requests only: memory stays flat under any load.
    traffic: Rolling[Traffic] = field(default_factory=lambda: Rolling(Traffic, TRAFFIC_KEPT))

    def status(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        i = bisect.bisect_right(self.transitions, (now, "\uffff"))
        return self.transitions[i - 1][1] if i else "starting"

    def schedule(self, now: float, *steps: tuple[float, str]) -> None:
        """Forget pending transitions and plan new ones, each `delay` after now."""
        self.transitions = [t for t in self.transitions if t[0] <= now]
        self.transitions.extend((now + delay, status) for delay, status in steps)

    def to_json(self, base_url: str) -> dict[str, Any]:
        status = self.status()
        record = {
            **self.extra,
            "id": self.id,
            "object": "endpoint",
            "name": self.id,
            "model": self.model.id,
            "task": self.task.id,
            "status": status,
            "url": f"{base_url}/v1" if status == "live" else None,
            "created": int(self.created),
            "owned_by": "pareta",
            "seed": self.seed,
        }
        return record


@dataclass
class EvalSet:
    id: str
    task: Task
    name: str
    rows: list[dict[str, Any]]
    created: float
    # The bytes its rows took as JSONL, counted against the org's storage.
    size: int = 0
    # Tokens of its rows' text inputs, and how many rows have one: a run's cost estimate.
    text_tokens: int = 0
    text_rows: int = 0
    blobs: dict[tuple[int, str], Blob] = field(default_factory=dict)
    staged: dict[tuple[int, str], tuple[UploadClaims, Blob]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "eval_set",
            "task_id": self.task.id,
            "name": self.name,
            "item_count": len(self.rows),
            "scoring_strategy": self.task.scoring_strategy,
            "default_scorer": self.task.default_scorer,
            "has_blob_input": self.task.has_blob_input,
            "blobs_attached": len(self.blobs),
            "created_at": int(self.created),
        }


@dataclass
class EvalRun:
    id: str
    eval_set_id: str
    task: Task
    name: str | None
    candidates: list[str]
    item_count: int
    created: float
    finishes_at: float
    results: list[dict[str, Any]]
    cost_micro_usd: int
    error_detail: str | None = None
    # Written by the scoring thread; the run is terminal once scored and its time is up.
    scored: bool = False
    items_scored: int = 0
    # Set when its org is dropped: scoring stops and nothing is charged.
    cancelled: bool = False

    def status(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        if self.scored and now >= self.finishes_at:
            return "failed" if self.error_detail else "completed"
        queued_until = self.created + 0.3 * (self.finishes_at - self.created)
        scoring = self.items_scored and not self.scored
        return "running" if now < queued_until and not scoring else "evaluating"

    def to_json(self) -> dict[str, Any]:
        status = self.status()
        terminal = status in ("completed", "failed")
        run = {
            "id": self.id,
            "object": "eval_run",
            "status": status,
            "eval_set_id": self.eval_set_id,
            "task_id": self.task.id,
            "name": self.name,
            "candidate_models": list(self.candidates),
            "item_count": self.item_count,
            "cost_micro_usd": self.cost_micro_usd,
            "error_detail": self.error_detail if terminal else None,
            "created_at": int(self.created),
            "completed_at": int(self.finishes_at) if terminal else None,
        }
        return {"run": run, "results": self.results if status == "completed" else []}


@dataclass
class Org:
    id: str
    api_key: str
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    eval_sets: dict[str, EvalSet] = field(default_factory=dict)
    runs: dict[str, EvalRun] = field(default_factory=dict)
    # Eval sets and documents, counted against `Config.max_stored_bytes`.
    stored_bytes: int = 0
