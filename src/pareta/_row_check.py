"""Eval rows checked before a set is created: against their task's ``input_schema``.

A row of the wrong shape is not an error the server reports: it is taken, run and billed,
and scores nothing. Two checks say so first, naming the row and the field:

- ``check_labels`` needs nothing but the rows: every row carries the answer it is graded
  against, ``expected`` (one page of the documentation calls it ``target``).
- ``check_rows`` reads the task (``tasks.retrieve`` returns its ``input_schema``): a row
  lacks an input field, or carries a field the task does not know.

Where the documentation names a field two ways, both are taken: ``target`` for
``expected``, and ``text`` for a task's one text input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

LABELS = ("expected", "target")
TEXT = "text"  # the documentation's generic name for "the input the model sees"
OPT_OUT = "pass check_items=False (--no-check on the command line) to send the rows anyway"


def check_labels(rows: Sequence[dict[str, Any]]) -> None:
    """Raise ``ValueError`` for the first row without the answer it is graded against."""
    for position, row in enumerate(rows):
        if not any(label in row for label in LABELS):
            fields = ", ".join(repr(str(field)) for field in row) or "none"
            raise ValueError(
                f"items[{position}]: missing field 'expected', the answer the row is graded "
                f"against (its fields: {fields}); {OPT_OUT}"
            )


def check_rows(task: dict[str, Any], rows: Sequence[dict[str, Any]]) -> None:
    """Raise ``ValueError`` for the first row that does not fit ``task``'s ``input_schema``.

    Text fields are required; a blob field (``blob_fields``) is attached after the set is
    created, so it may be absent or ``null``, and its sample text (``<field>_text``, as
    ``tasks.retrieve(examples_n=...)`` returns it) is allowed. A task without an
    ``input_schema`` is not checked."""
    schema = task.get("input_schema")
    if not isinstance(schema, dict) or not schema:
        return
    blobs = {field for field in task.get("blob_fields") or () if isinstance(field, str)}
    inputs = [str(field) for field in schema]
    texts = [field for field in inputs if field not in blobs]
    allowed = {*inputs, *LABELS, *(f"{blob}_text" for blob in blobs)}
    if len(texts) == 1:
        allowed.add(TEXT)
    task_id = task.get("id") or task.get("task_id") or "the task"
    for position, row in enumerate(rows):
        missing = [field for field in texts if field not in row]
        if len(texts) == 1 and TEXT in row:
            missing = []
        if not any(label in row for label in LABELS):
            missing.append("expected")
        unexpected = [str(field) for field in row if field not in allowed]
        if missing or unexpected:
            raise ValueError(_message(task_id, position, missing, unexpected, inputs, blobs))


def _message(
    task_id: str,
    position: int,
    missing: list[str],
    unexpected: list[str],
    inputs: list[str],
    blobs: set[str],
) -> str:
    problems = []
    if missing:
        problems.append(f"missing {_fields(missing)}")
    if unexpected:
        problems.append(f"unexpected {_fields(unexpected)}")
    shape = ", ".join(
        f"{field!r} (a blob, attached later)" if field in blobs else repr(field) for field in inputs
    )
    return (
        f"items[{position}]: {' and '.join(problems)}. A row of {task_id} holds its "
        f"input_schema fields {shape} and 'expected' (what the answer is graded against); "
        f"{OPT_OUT}"
    )


def _fields(names: list[str]) -> str:
    word = "field" if len(names) == 1 else "fields"
    return f"{word} " + ", ".join(repr(name) for name in names)
