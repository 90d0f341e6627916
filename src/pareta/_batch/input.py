"""A batch job's input rows: any iterable, or a JSONL file read a line at a time."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Container, Generator, Iterator
from dataclasses import dataclass
from typing import IO, NamedTuple

from .keys import EMPTY_DIGEST, RowKeys

_BLOCK = 1 << 20


@dataclass(frozen=True)
class BadRow:
    """A line of the input that is not a JSON object: that row fails, the job goes on."""

    error: ValueError


def parse_line(raw: bytes, number: int, path: str) -> object:
    try:
        return json.loads(raw)
    except ValueError as exc:
        return BadRow(ValueError(f"{path} line {number} is not JSON: {exc}"))


class JsonLine(NamedTuple):
    """One line of a JSONL input, parsed only when the row is sent.

    A resumed job skips the rows already done by their line's bytes alone: no parsing and
    no re-encoding, which is what lets a million done rows pass in seconds."""

    raw: bytes
    number: int
    path: str

    def parse(self) -> object:
        return parse_line(self.raw, self.number, self.path)


class KeyedLine(NamedTuple):
    """A line of a JSONL input keyed by its content, and not done yet."""

    raw: bytes
    number: int
    path: str
    row_key: str
    key: str

    def parse(self) -> object:
        return parse_line(self.raw, self.number, self.path)


def jsonl_lines(path: str | os.PathLike[str]) -> Iterator[JsonLine]:
    """Each non-blank line of a JSONL file, unparsed."""
    name = os.fspath(path)
    with open(path, "rb") as file:
        for number, line in enumerate(file, start=1):
            if stripped := line.strip():
                yield JsonLine(stripped, number, name)


def fresh_lines(
    path: str | os.PathLike[str],
    keys: RowKeys,
    done: Container[int],
    passed: Callable[[int], object],
) -> Generator[tuple[int, KeyedLine], None, None]:
    """The rows of a JSONL file keyed by content that are not done yet, with their place
    in the file; ``passed(n)`` learns of the ``n`` done rows skipped before each.

    The one loop a resume runs for every row already done: ``RowKeys.of_line`` and
    ``Seen.count`` written out, whole blocks split into lines at once, and no object made
    for a done row (a million pass in about a second)."""
    name = os.fspath(path)
    job, variant, seen = keys.job, keys.variant, keys.seen
    table, mask, size = seen.table, seen.mask, seen.size
    index = number = skipped = 0
    with open(path, "rb") as file:
        for block in whole_lines(file):
            for line in block.split(b"\n"):
                number += 1
                if not (raw := line.strip()):
                    continue
                digest = EMPTY_DIGEST.copy()  # line_digest(raw)
                digest.update(raw)
                hexdigest = digest.hexdigest()
                # seen.count(hash(hexdigest)), written out: a call a row costs a tenth
                slot = (identity := hash(hexdigest) or 1) & mask
                while (found := table[slot]) and found != identity:
                    slot = (slot + 1) & mask
                if found:
                    row_key = f"{hexdigest}.{seen.repeat(identity)}"
                else:
                    table[slot] = identity
                    size += 1
                    if size * 2 > mask:
                        seen.size = size
                        seen.grow()
                        table, mask = seen.table, seen.mask
                    row_key = hexdigest
                key = f"{job}.{row_key}.{variant}"
                index += 1
                if hash(key) in done:
                    skipped += 1
                    continue
                seen.size = size
                if skipped:
                    passed(skipped)
                    skipped = 0
                yield index - 1, KeyedLine(raw, number, name, row_key, key)
    seen.size = size
    if skipped:
        passed(skipped)


def whole_lines(file: IO[bytes]) -> Iterator[bytes]:
    """A file in blocks of whole lines (less their last newline); the last may lack one."""
    carry = b""
    while block := file.read(_BLOCK):
        cut = block.rfind(b"\n")
        if cut < 0:
            carry += block
            continue
        yield carry + block[:cut]
        carry = block[cut + 1 :]
    if carry:
        yield carry
