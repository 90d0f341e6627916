"""Scoring an eval set: run every candidate on every row, grade with the task's scorer."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .catalog import ModelRef, predict, usage_for
from .engine import document_text
from .scoring import SCORERS, confidence_interval
from .storage import Blob
from .tasks import Task


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


PROGRESS_EVERY = 500


def evaluate(
    task: Task,
    rows: list[dict[str, Any]],
    blobs: Mapping[tuple[int, str], Blob],
    models: list[ModelRef],
    progress: Callable[[int], bool] = lambda items: True,
) -> list[ModelOutcome] | None:
    """Every model on every row; `progress(items scored)` returning False stops it (None)."""
    scorer = SCORERS[task.default_scorer]
    done = 0
    inputs: list[RowInput | ItemError] = []
    for idx, row in enumerate(rows):
        try:
            inputs.append(row_input(task, idx, row, blobs))
        except ItemError as exc:
            inputs.append(exc)
    outcomes = []
    for model in models:
        outcome = ModelOutcome(model, [], [], 0)
        for item in inputs:
            done += 1
            if done % PROGRESS_EVERY == 0 and not progress(done):
                return None
            if isinstance(item, ItemError) or (item.documents and not model.vision):
                outcome.errors += 1
                continue
            output = predict(task, model, item.text)
            outcome.scores.append(scorer(output, item.expected))
            outcome.costs.append(
                usage_for(item.text, output, documents=item.documents).price(model)
            )
        outcomes.append(outcome)
    progress(done)
    return outcomes
