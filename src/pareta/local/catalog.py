"""The catalog: tasks, per-task aliases, the frontier roster, and measured leaderboards.

Built once per server. Leaderboard quality is not typed in: each model is run
over the task's benchmark rows and graded with the task's scorer, so the board,
an eval run and live traffic all measure the same thing.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .engine import (
    EXTRACTORS,
    MAX_SCAN_CHARS,
    Fields,
    classify,
    count_tokens,
    degrade_fields,
    degrade_label,
    render_output,
    text_key,
)
from .scoring import SCORERS
from .tasks import FRONTIER, TASKS, FrontierModel, OpenModel, Task

BENCHMARK_ROWS = 40
# What a request costs beyond its own text: the task prompt, and a page image.
PROMPT_OVERHEAD_TOKENS = 48
VISION_TOKENS_PER_DOCUMENT = 765


@dataclass(frozen=True)
class ModelRef:
    """A model as the server runs it: an open alias on a task, or a frontier id."""

    id: str
    kind: str  # "open" | "frontier"
    fidelity: float
    micro_usd_per_1k_tokens: int
    vision: bool


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def price(self, model: ModelRef) -> int:
        """Micro-USD for this usage, rounded up so a call is never free."""
        return -(-self.total_tokens * model.micro_usd_per_1k_tokens // 1000)


def solve(task: Task, text: str) -> Fields | str:
    """What a perfect model answers on this task (it reads at most `MAX_SCAN_CHARS`)."""
    text = text[:MAX_SCAN_CHARS]
    if task.extractor is not None:
        return EXTRACTORS[task.extractor](text)
    return classify(text, task.lexicon, task.default_label)


def predict(
    task: Task, model: ModelRef, text: str, answer: Fields | str | None = None
) -> Fields | str:
    """What `model` answers: the perfect answer (pass it in if known), degraded by fidelity."""
    if answer is None:
        answer = solve(task, text)
    key = text_key(text)
    if isinstance(answer, str):
        return degrade_label(answer, task.labels, model.id, model.fidelity, key)
    return degrade_fields(answer, model.id, model.fidelity, key)


def usage_for(text: str, output: Fields | str, *, documents: int = 0) -> Usage:
    prompt = count_tokens(text) + PROMPT_OVERHEAD_TOKENS + documents * VISION_TOKENS_PER_DOCUMENT
    return Usage(prompt, count_tokens(render_output(output)))


class Catalog:
    def __init__(self) -> None:
        self.tasks: dict[str, Task] = {t.id: t for t in TASKS}
        self.frontier: dict[str, FrontierModel] = {f.id: f for f in FRONTIER}
        self._rows = {t.id: _benchmark_rows(t) for t in TASKS}
        self._leaderboards = {t.id: self._measure(t) for t in TASKS}
        self._task_json = {t.id: _task_json(t, len(self._rows[t.id])) for t in TASKS}

    # -- models -------------------------------------------------------------

    def open_model(self, task: Task, alias: str) -> ModelRef | None:
        for m in task.open_models:
            if m.alias == alias:
                return _open_ref(m, task)
        return None

    def frontier_model(self, model_id: str) -> ModelRef | None:
        f = self.frontier.get(model_id)
        if f is None:
            return None
        return ModelRef(f.id, "frontier", f.fidelity, f.micro_usd_per_1k_tokens, f.vision)

    def resolve_candidate(self, task: Task, model_id: str) -> ModelRef | None:
        """An eval candidate: a per-task alias first, then a frontier id."""
        return self.open_model(task, model_id) or self.frontier_model(model_id)

    def recommended(self, task: Task) -> str:
        return str(self._leaderboards[task.id]["recommended"])

    def baseline(self, task: Task) -> ModelRef:
        ref = self.frontier_model(task.benchmarked[0])
        assert ref is not None
        return ref

    def find_alias(self, alias: str) -> tuple[Task, ModelRef] | None:
        """A bare alias resolves on the first task (catalog order) that has it."""
        for task in self.tasks.values():
            ref = self.open_model(task, alias)
            if ref is not None:
                return task, ref
        return None

    # -- views --------------------------------------------------------------

    def task_json(self, task: Task, examples_n: int | None = None) -> dict[str, Any]:
        record = dict(self._task_json[task.id])
        if examples_n is not None:
            record["examples"] = [_public_row(task, r) for r in self._rows[task.id][:examples_n]]
        return record

    def leaderboard(self, task: Task) -> dict[str, Any]:
        return self._leaderboards[task.id]

    def frontier_roster(self, task: Task | None) -> list[dict[str, Any]]:
        roster = []
        for f in self.frontier.values():
            if task is not None and task.has_blob_input and not f.vision:
                continue
            benchmarked = task is not None and f.id in task.benchmarked
            roster.append(
                {"id": f.id, "vendor": f.vendor, "vision": f.vision, "benchmarked": benchmarked}
            )
        return roster

    # -- measurement ----------------------------------------------------------

    def _measure(self, task: Task) -> dict[str, Any]:
        rows = self._rows[task.id]
        scorer = SCORERS[task.default_scorer]
        entries = []
        for m in task.open_models:
            entries.append(
                self._entry(task, _open_ref(m, task), rows, scorer, m.context_k, m.run_mode)
            )
        entries.sort(key=lambda e: (-e["quality"], e["cost_per_request_micro_usd"], e["name"]))
        base = self.frontier[task.benchmarked[0]]
        frontier = self._entry(task, self.baseline(task), rows, scorer, base.context_k, "api")
        recommended = task.curated or entries[0]["name"]
        return {
            "task_id": task.id,
            "metric": "quality",
            "cost_unit": "per_request",
            "recommended": recommended,
            "models": entries,
            "frontier": frontier,
            "benchmark_items": len(rows),
        }

    @staticmethod
    def _entry(
        task: Task,
        model: ModelRef,
        rows: list[tuple[str, Any]],
        scorer: Any,
        context_k: int,
        run_mode: str,
    ) -> dict[str, Any]:
        documents = 1 if task.has_blob_input else 0
        scores, prices = [], []
        for text, expected in rows:
            output = predict(task, model, text)
            scores.append(scorer(output, expected))
            prices.append(usage_for(text, output, documents=documents).price(model))
        return {
            "name": model.id,
            "kind": model.kind,
            "quality": round(sum(scores) / len(scores), 3),
            "cost_per_request_micro_usd": round(sum(prices) / len(prices)),
            "context_k": context_k,
            "run_mode": run_mode,
        }


def _open_ref(m: OpenModel, task: Task) -> ModelRef:
    return ModelRef(m.alias, "open", m.fidelity, m.micro_usd_per_1k_tokens, task.has_blob_input)


def _benchmark_rows(task: Task) -> list[tuple[str, Any]]:
    # Seeded by task id so every server (and every test) sees the same board.
    rng = random.Random(f"pareta-local:{task.id}")
    return [task.make_row(rng) for _ in range(BENCHMARK_ROWS)]


def _public_row(task: Task, row: tuple[str, Any]) -> dict[str, Any]:
    text, expected = row
    if task.has_blob_input:
        # The document itself is attached after the set is created; the text
        # shows what the sample document says.
        return {"document": None, "expected": expected, "document_text": text}
    return {"input": text, "expected": expected}


def _task_json(task: Task, benchmark_items: int) -> dict[str, Any]:
    output: Mapping[str, Any]
    if task.scoring_strategy == "classification":
        output = {"label": {"enum": list(task.labels)}}
    else:
        output = {name: "string | number | list" for name in task.fields} or {"*": "string"}
    inputs: dict[str, str] = (
        {f: "blob (attach with upload_document)" for f in task.blob_fields}
        if task.has_blob_input
        else {"input": "string"}
    )
    return {
        "id": task.id,
        "object": "task",
        "title": task.title,
        "description": task.description,
        "default_scorer": task.default_scorer,
        "scoring_strategy": task.scoring_strategy,
        "has_blob_input": task.has_blob_input,
        "blob_fields": list(task.blob_fields),
        "input_schema": inputs,
        "output_schema": json.loads(json.dumps(output)),
        "labels": list(task.labels),
        "benchmark_items": benchmark_items,
    }
