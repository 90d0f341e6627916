"""Eval rows from a file: JSONL (one object a line), a JSON array, or CSV.

In a CSV the header names the row keys; a cell holding a JSON object or array (the
``expected`` fields, say) is parsed, so it reaches the server as JSON, not as a string.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any


def plural(count: int, noun: str) -> str:
    """``1 row``, ``2 rows``: a count a person reads."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class RowsError(Exception):
    """The file cannot be read as eval rows; the message names the file and the line."""


def read_rows(path: str) -> list[dict[str, Any]]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RowsError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RowsError(f"{path} is not UTF-8 text") from None
    rows = _csv_rows(text, path) if path.lower().endswith(".csv") else _json_rows(text, path)
    if not rows:
        raise RowsError(f"{path} holds no rows")
    return rows


def _json_rows(text: str, path: str) -> list[dict[str, Any]]:
    if text.lstrip().startswith("["):
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise RowsError(f"{path} is not a valid JSON array: {exc}") from None
        return [_as_row(item, path, f"item {n}") for n, item in enumerate(document)]
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise RowsError(f"{path}:{number}: not a JSON object: {exc}") from None
        rows.append(_as_row(item, path, f"line {number}"))
    return rows


def _as_row(item: Any, path: str, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise RowsError(f"{path}, {where}: a row must be a JSON object, not {type(item).__name__}")
    return item


def _csv_rows(text: str, path: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise RowsError(f"{path} has no header row naming the columns")
    rows = []
    for row in reader:
        if None in row:
            raise RowsError(f"{path}:{reader.line_num}: more cells than header columns")
        rows.append({key: _cell(value) for key, value in row.items() if value is not None})
    return rows


def _cell(value: str) -> Any:
    if value.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
