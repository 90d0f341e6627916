"""A batch job's input rows: any iterable, or a JSONL file read a line at a time."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Container, Generator, Iterator
from dataclasses import dataclass
from typing import IO, NamedTuple

from .keys import RowKeys, line_digest

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
    in the file; ``passed(n)`` learns of the ``n`` done rows skipped before each. ``done``
    holds the hashes of the done rows' row keys (``open_results(..., variant=...)``).

    The one loop a resume runs for every row already done. A block of lines that are all
    done, all different and all new to this run passes whole, in set operations (a
    million done rows in about two thirds of a second); any other block goes line by
    line, with ``RowKeys.of_line`` and ``Seen.count`` written out and no object made for a
    done row. A row's first occurrence has its digest for row key, so the hashes of a
    block's digests are both what this run has seen and what the done rows are checked
    by."""
    name = os.fspath(path)
    job, variant, seen = keys.job, keys.variant, keys.seen
    # Whole blocks are checked against a set of done row keys (a sorted array, past millions
    # of them, would make it slower); the rows they pass are remembered in a set apart.
    bulk = done if isinstance(done, set) and done else None
    passed_in_bulk: set[int] = set()
    table, mask, size = seen.table, seen.mask, seen.size
    index = number = skipped = 0
    with open(path, "rb") as file:
        for block in whole_lines(file):
            raws = list(map(bytes.strip, block.split(b"\n")))
            digests = list(map(line_digest, filter(None, raws)))
            if bulk is not None and len(digests) == len(raws):
                identities = set(map(hash, digests))
                if (
                    len(identities) == len(digests)
                    and 0 not in identities
                    and bulk.issuperset(identities)
                    and passed_in_bulk.isdisjoint(identities)
                    and not (size and seen.has_any(identities))
                ):
                    passed_in_bulk |= identities
                    number += len(raws)
                    index += len(raws)
                    skipped += len(raws)
                    continue
            hexdigests = iter(digests)
            for raw in raws:
                number += 1
                if not raw:
                    continue
                hexdigest = next(hexdigests)
                # seen.count(hash(hexdigest)), written out: a call a row costs a tenth
                slot = (identity := hash(hexdigest) or 1) & mask
                while (found := table[slot]) and found != identity:
                    slot = (slot + 1) & mask
                if found or identity in passed_in_bulk:
                    row_key = f"{hexdigest}.{seen.repeat(identity)}"
                else:
                    table[slot] = identity
                    size += 1
                    if size * 2 > mask:
                        seen.size = size
                        seen.grow()
                        table, mask = seen.table, seen.mask
                    row_key = hexdigest
                index += 1
                if hash(row_key) in done:
                    skipped += 1
                    continue
                seen.size = size
                if skipped:
                    passed(skipped)
                    skipped = 0
                key = f"{job}.{row_key}.{variant}"
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
