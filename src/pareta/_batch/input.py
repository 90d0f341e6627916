"""A batch job's input rows: any iterable, or a JSONL file read a line at a time."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class BadRow:
    """A line of the input that is not a JSON object: that row fails, the job goes on."""

    error: ValueError


class JsonLine(NamedTuple):
    """One line of a JSONL input, parsed only when the row is sent.

    A resumed job skips the rows already done by their line's bytes alone: no parsing and
    no re-encoding, which is what lets a million done rows pass in seconds."""

    raw: bytes
    number: int
    path: str

    def parse(self) -> object:
        try:
            return json.loads(self.raw)
        except ValueError as exc:
            return BadRow(ValueError(f"{self.path} line {self.number} is not JSON: {exc}"))


def jsonl_lines(path: str | os.PathLike[str]) -> Iterator[JsonLine]:
    """Each non-blank line of a JSONL file, unparsed."""
    name = os.fspath(path)
    with open(path, "rb") as file:
        for number, line in enumerate(file, start=1):
            if stripped := line.strip():
                yield JsonLine(stripped, number, name)
