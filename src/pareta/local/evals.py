"""Scoring an eval set: run every candidate on every row, grade with the task's scorer."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .catalog import (
    PROMPT_OVERHEAD_TOKENS,
    VISION_TOKENS_PER_DOCUMENT,
    ModelRef,
    predict,
    usage_for,
)
from .engine import MAX_SCAN_CHARS, count_tokens, document_text
from .scoring import SCORERS, confidence_interval
from .storage import Blob
from .tasks import TASKS, Task


class ItemError(Exception):
    """A row this model could not be run on; counted in `error_count`."""


@dataclass(frozen=True)
class RowInput:
    text: str
    documents: int
    expected: Any


def row_input(
    task: Task, idx: int, row: Mapping[str, Any], blobs: Mapping[tuple[int, str], Blob]
) -> RowInput:
    if "expected" not in row:
        raise ItemError(f"row {idx} has no 'expected' value to grade against")
    expected = row["expected"]
    for field_name in task.blob_fields:
        blob = blobs.get((idx, field_name))
        if blob is not None:
            return RowInput(document_text(blob.data), 1, expected)
    value = row.get("input")
    if value is None:
        if task.has_blob_input:
            raise ItemError(f"row {idx} has no document attached to field 'document'")
        raise ItemError(f"row {idx} has no 'input'")
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return RowInput(text, 0, expected)


@dataclass
class ModelOutcome:
    model: ModelRef
    scores: list[float]
    costs: list[int]
    errors: int

    @property
    def cost_micro_usd(self) -> int:
        return sum(self.costs)

    def to_json(self) -> dict[str, Any]:
        n = len(self.scores)
        mean = low = high = None
        if n:
            mean = sum(self.scores) / n
            low, high = confidence_interval(self.scores)
        return {
            "model_id": self.model.id,
            "kind": self.model.kind,
            "quality_mean": None if mean is None else round(mean, 4),
            "quality_ci_low": None if low is None else round(low, 4),
            "quality_ci_high": None if high is None else round(high, 4),
            "mean_cost_micro_usd": round(self.cost_micro_usd / n) if n else None,
            "cost_micro_usd": self.cost_micro_usd,
            "n_succeeded": n,
            "error_count": self.errors,
        }


# Rows scored per job: small enough that another org's job waits for at most one.
CHUNK_ROWS = 100
_TASKS = {task.id: task for task in TASKS}


@dataclass
class Scored:
    """One model's scores, costs and errors over some rows (a worker's answer)."""

    scores: list[float]
    costs: list[int]
    errors: int


def chunk_blobs(
    task: Task, start: int, end: int, blobs: Mapping[tuple[int, str], Blob]
) -> dict[tuple[int, str], Blob]:
    """The documents of rows ``start`` to ``end``: what a job over them needs sent."""
    return {
        (idx, name): blobs[(idx, name)]
        for idx in range(start, end)
        for name in task.blob_fields
        if (idx, name) in blobs
    }


def score_rows(
    task_id: str,
    start: int,
    rows: list[dict[str, Any]],
    blobs: Mapping[tuple[int, str], Blob],
    models: list[ModelRef],
) -> list[Scored]:
    """Every model on rows ``start...`` (a pure function: it runs in a worker process)."""
    task = _TASKS[task_id]
    scorer = SCORERS[task.default_scorer]
    inputs: list[RowInput | ItemError] = []
    for idx, row in enumerate(rows, start=start):
        try:
            inputs.append(row_input(task, idx, row, blobs))
        except ItemError as exc:
            inputs.append(exc)
    scored = []
    for model in models:
        outcome = Scored([], [], 0)
        for item in inputs:
            if isinstance(item, ItemError) or (item.documents and not model.vision):
                outcome.errors += 1
                continue
            output = predict(task, model, item.text)
            outcome.scores.append(scorer(output, item.expected))
            outcome.costs.append(
                usage_for(item.text, output, documents=item.documents).price(model)
            )
        scored.append(outcome)
    return scored


def merge(outcomes: list[ModelOutcome], scored: list[Scored]) -> None:
    for outcome, part in zip(outcomes, scored, strict=True):
        outcome.scores.extend(part.scores)
        outcome.costs.extend(part.costs)
        outcome.errors += part.errors


def evaluate(
    task: Task,
    rows: list[dict[str, Any]],
    blobs: Mapping[tuple[int, str], Blob],
    models: list[ModelRef],
) -> list[ModelOutcome]:
    """Every model on every row, here and now (eval runs score their chunks on workers)."""
    outcomes = [ModelOutcome(model, [], [], 0) for model in models]
    for start in range(0, len(rows), CHUNK_ROWS):
        end = start + CHUNK_ROWS
        merge(outcomes, score_rows(task.id, start, rows[start:end], blobs, models))
    return outcomes


# What a run may cost, reserved at its creation: each item's prompt and an answer at most
# twice as long as the text read (an extraction restates what it found, with JSON around
# it), or a label.
ANSWER_PER_TEXT = 2
ANSWER_OVERHEAD_TOKENS = 16


def estimate_cost(
    task: Task,
    text_tokens: int,
    text_rows: int,
    blobs: Mapping[tuple[int, str], Blob],
    models: list[ModelRef],
) -> int:
    """An upper estimate of an eval run's cost over a set's rows, in micro-USD."""

    def item(read: int, documents: int) -> int:
        if task.extractor is None:
            answer = max((count_tokens(label) for label in task.labels), default=1)
        else:
            answer = read * ANSWER_PER_TEXT + ANSWER_OVERHEAD_TOKENS
        return read + PROMPT_OVERHEAD_TOKENS + documents * VISION_TOKENS_PER_DOCUMENT + answer

    per_text_token = 1 + (ANSWER_PER_TEXT if task.extractor is not None else 0)
    text = text_rows * item(0, 0) + text_tokens * per_text_token
    documents = sum(
        item(count_tokens_of(min(blob.size, MAX_SCAN_CHARS)), 1) for blob in blobs.values()
    )
    total = 0
    for model in models:
        tokens = text + (documents if model.vision else 0)
        # Each item's price is rounded up: at most one micro-USD more per item.
        total += -(-tokens * model.micro_usd_per_1k_tokens // 1000) + text_rows + len(blobs)
    return total


def count_tokens_of(chars: int) -> int:
    return max(1, (chars + 3) // 4)
