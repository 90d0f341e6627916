"""Eval rows checked against their task's ``input_schema`` before a set is created.

A row of the wrong shape is not an error the server reports: it is taken, run and billed,
and scores nothing. The task says what a row holds (``tasks.retrieve`` returns its
``input_schema``), so a row that lacks an input field or ``expected``, or carries a field
the task does not know, is refused here, naming the row and the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# What every row carries besides its inputs: the answer it is graded against.
EXPECTED = "expected"
OPT_OUT = "pass check_items=False (--no-check on the command line) to send the rows anyway"


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
    required = [field for field in inputs if field not in blobs] + [EXPECTED]
    allowed = {*inputs, EXPECTED, *(f"{blob}_text" for blob in blobs)}
    task_id = task.get("id") or task.get("task_id") or "the task"
    for position, row in enumerate(rows):
        missing = [field for field in required if field not in row]
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
