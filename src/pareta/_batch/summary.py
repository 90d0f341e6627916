"""What a results file says, read once as a stream: a million lines in a few seconds and a
few tens of MB, whatever the file's size.

Each row counts by its latest line. Answered rows' lines are taken by one regular
expression over whole blocks, and their states set in one loop; the few other lines (a
``run`` or ``stopped`` event, a failed row, a garbled line) are parsed one at a time. A
garbled line (torn, spliced, not JSON) is counted and skipped: it is not a row's answer,
so a resume sends that row again.
"""

from __future__ import annotations

import json
import os
import re
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from .file import FORMAT, ResultsFileError
from .input import jsonl_lines, whole_lines
from .keys import RowKeys, content_key, line_digest

_BLOCK = 1 << 20
# An answered row's line, whole (it ends with the key it starts with): its status key and
# attempts.
_ANSWERED = re.compile(
    rb'\n\{"id":"([^"\\\n]*)","done":true,"key":("[^"\\\n]*(?:\\.[^"\\\n]*)*"),"index":-?\d+,'
    rb'"ok":true,"attempts":(\d+),[^\n]*,"end":"\1"\}(?=\n)'
)
# A run's first line: a row may have a line on either side of it, and the later one counts.
_RUN = re.compile(rb'(\n\{"event":"run"[^\n]*)')
SHOWN_FAILURES = 10
_ANSWERED_STATE = 1  # a row's state: 0 unseen, 1 answered, 2 + 2 * error type (+ 1 if done)


def status_identity(row_key: str, repeat: int = 1) -> int:
    """How status tells rows apart: a row's key, and which repeat of it a line is."""
    return _identity(json.dumps(row_key).encode(), repeat)


def _identity(key: bytes, repeat: int) -> int:
    return hash(key) if repeat == 1 else hash((key, repeat))


class _States:
    """Each row's latest state by its identity hash, in two flat arrays (see keys.Seen)."""

    def __init__(self) -> None:
        self._keys = array("q", [0]) * 1024
        self.states = array("h", [0]) * 1024
        self._mask = 1023
        self.rows = 0

    def reserve(self, rows: int) -> None:
        mask = self._mask
        while rows * 2 > mask:
            mask = mask * 2 + 1
        if mask != self._mask:
            self._grow(mask)  # once, to its size: each step would hold two tables at once

    def set_all(self, identities: Iterable[int], count: int, state: int) -> None:
        """``set`` for each of ``count`` identities: the loop status runs for every line."""
        self.reserve(self.rows + count)
        keys, states, mask = self._keys, self.states, self._mask
        added = 0
        for identity in identities:
            slot = (identity := identity or 1) & mask
            while (found := keys[slot]) and found != identity:
                slot = (slot + 1) & mask
            if not found:
                keys[slot] = identity
                added += 1
            states[slot] = state
        self.rows += added

    def count_states(self, identities: Iterable[int]) -> Counter[int]:
        """How many of ``identities`` are in each state (0: none); ``get``, written out."""
        keys, states, mask = self._keys, self.states, self._mask
        counts: Counter[int] = Counter()
        for identity in identities:
            slot = (identity := identity or 1) & mask
            while (found := keys[slot]) and found != identity:
                slot = (slot + 1) & mask
            counts[states[slot] if found else 0] += 1
        return counts

    def set(self, identity: int, state: int) -> None:
        self.set_all((identity,), 1, state)

    def get(self, identity: int) -> int:
        identity = identity or 1
        keys, mask = self._keys, self._mask
        slot = identity & mask
        while (found := keys[slot]) != 0:
            if found == identity:
                return self.states[slot]
            slot = (slot + 1) & mask
        return 0

    def _grow(self, mask: int) -> None:
        old_keys, old_states = self._keys, self.states
        self._mask = mask
        self._keys = keys = array("q", [0]) * (mask + 1)
        self.states = states = array("h", [0]) * (mask + 1)
        for identity, state in zip(old_keys, old_states, strict=True):
            if identity:
                slot = identity & mask
                while keys[slot]:
                    slot = (slot + 1) & mask
                keys[slot], states[slot] = identity, state


class _Reading:
    """The running totals of one pass over a results file."""

    def __init__(self, header: dict[str, Any]) -> None:
        # Rows keyed by their content are shown by their place in the input.
        self.by_place = header.get("pareta_batch") == FORMAT and header.get("key") is None
        self.table = _States()
        self.kinds: list[str] = []
        self.attempts = 0
        self.garbled = 0
        self.runs = 0
        self.run: dict[str, Any] | None = None
        self.stopped: dict[str, Any] | None = None
        self.failures: OrderedDict[int, tuple[str, str]] = OrderedDict()

    def answered(self, found: list[tuple[bytes, bytes, bytes]]) -> None:
        if not found:
            return
        _, keys, attempts = zip(*found, strict=True)
        self.table.set_all(map(hash, keys), len(keys), _ANSWERED_STATE)
        self.attempts += sum(map(int, attempts))
        if self.failures:
            for key in keys:
                self.failures.pop(hash(key), None)

    def line(self, raw: bytes) -> None:
        if not raw.strip():
            return
        try:
            line = json.loads(raw)
        except ValueError:
            line = None
        if not isinstance(line, dict):
            self.garbled += 1
        elif line.get("event") == "run":
            self.runs += 1
            self.run, self.stopped = line, None
        elif line.get("event") == "stopped":
            self.stopped = {"reason": line.get("reason"), "detail": line.get("detail")}
        elif "id" in line and "key" in line and line.get("end", line["id"]) == line["id"]:
            self.row(line)
        else:
            self.garbled += 1

    def row(self, line: dict[str, Any]) -> None:
        identity = _identity(json.dumps(str(line["key"])).encode(), int(line.get("repeat") or 1))
        self.attempts += int(line.get("attempts") or 0)
        if line.get("ok"):
            self.table.set(identity, _ANSWERED_STATE)
            self.failures.pop(identity, None)
            return
        error = line.get("error") or {}
        kind = str(error.get("type"))
        if kind not in self.kinds:
            self.kinds.append(kind)
        state = 2 + 2 * self.kinds.index(kind) + bool(line.get("done"))
        self.table.set(identity, state)
        self.failures.pop(identity, None)
        self.failures[identity] = (self.name(line), f"{kind}: {error.get('message')}")
        if len(self.failures) > SHOWN_FAILURES * 4:
            self.failures.popitem(last=False)

    def name(self, line: dict[str, Any]) -> str:
        if self.by_place:
            return str(line.get("index"))
        return str(line["key"]) if "repeat" not in line else f"{line['key']} (row {line['index']})"


def summarize(path: str | os.PathLike[str], inputs: Iterable[int] | None = None) -> dict[str, Any]:
    """What a results file says: its rows answered and failed (the latest line of each
    row counts), the errors by type, attempts, garbled lines, and the latest run: when it
    started and why it stopped, if it did. Given the status identities of an input's rows
    (``status_identity``), also how many of them are done, failed, or not yet sent."""
    name = os.fspath(path)
    try:
        with open(path, "rb") as file:
            header = _header(file.readline(), name)
            reading = _Reading(header)
            size = os.fstat(file.fileno()).st_size
            for block in _blocks(file):
                if not reading.table.rows and block.count(b"\n") > 1:
                    # Sized once from the first block's lines, not grown a step at a time.
                    reading.table.reserve(size * (block.count(b"\n") - 1) // len(block))
                _read_block(reading, block)
    except OSError as exc:
        raise ResultsFileError(f"cannot read {name!r}: {exc}") from exc
    states = reading.table.states
    # One pass of array.count (in C) a state: a table of millions of slots, a few states.
    every = (_ANSWERED_STATE, *range(2, 2 + 2 * len(reading.kinds)))
    counts = Counter({state: n for state in every if (n := states.count(state))})
    errors: Counter[str] = Counter()
    to_retry = 0
    for state, count in counts.items():
        if state >= 2:
            errors[reading.kinds[(state - 2) // 2]] += count
            to_retry += count if state % 2 == 0 else 0
    summary: dict[str, Any] = {
        "job": header.get("job"),
        "method": header.get("method"),
        "rows": reading.table.rows,
        "answered": counts[_ANSWERED_STATE],
        "failed": sum(errors.values()),
        "to_retry": to_retry,
        "errors": dict(errors.most_common()),
        "attempts": reading.attempts,
        "garbled": reading.garbled,
        "runs": reading.runs,
        "started": None if reading.run is None else reading.run.get("started"),
        "stopped": reading.stopped,
        "failures": [
            shown
            for identity, shown in reversed(reading.failures.items())
            if reading.table.get(identity) >= 2
        ][:SHOWN_FAILURES],
    }
    if inputs is not None:
        summary["input"] = _of_input(reading.table, inputs)
    return summary


def jsonl_identities(path: str | os.PathLike[str], key_field: str | None) -> Iterator[int]:
    """The status identity of each row of a JSONL input, keyed as its job keyed it."""
    keys = RowKeys("", "", key_field)
    if key_field is not None:
        for index, line in enumerate(jsonl_lines(path)):
            row = line.parse()
            if isinstance(row, dict) and key_field in row:
                value = str(row[key_field])
                yield status_identity(value, keys.seen.count(hash(value)))
            else:
                yield status_identity(f"#{index}")
        return
    count = keys.seen.count
    with open(path, "rb") as file:
        for block in whole_lines(file):
            for text in block.split(b"\n"):
                if raw := text.strip():
                    digest = line_digest(raw)
                    times = count(hash(digest))
                    # A digest is hex: as JSON it is itself in quotes, as the file has it.
                    yield hash(b'"%s"' % content_key(digest, times).encode())


def _of_input(table: _States, inputs: Iterable[int]) -> dict[str, int]:
    counts = table.count_states(inputs)
    failed = sum(count for state, count in counts.items() if state >= 2)
    return {
        "rows": sum(counts.values()),
        "answered": counts[_ANSWERED_STATE],
        "failed": failed,
        "not_sent": counts[0],
    }


def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The first line of a results file: its format, job, method and key field."""
    try:
        with open(path, "rb") as file:
            return _header(file.readline(), os.fspath(path))
    except OSError as exc:
        raise ResultsFileError(f"cannot read {os.fspath(path)!r}: {exc}") from exc


def _header(line: bytes, name: str) -> dict[str, Any]:
    try:
        header = json.loads(line)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("pareta_batch") not in (1, FORMAT):
        raise ResultsFileError(f"{name!r} is not a pareta batch results file")
    return header


def _blocks(file: Any) -> Iterator[bytes]:
    """Whole lines in blocks, each block starting with the newline before its first line
    (a torn last line, still being written or left by a killed run, is not a line yet)."""
    carry = b"\n"
    while block := file.read(_BLOCK):
        chunk = carry + block
        cut = chunk.rfind(b"\n")
        yield chunk[: cut + 1]
        carry = chunk[cut:]


def _read_block(reading: _Reading, block: bytes) -> None:
    if b'\n{"event":"run"' not in block:
        _read_lines_of_one_run(reading, block)
        return
    for number, piece in enumerate(_RUN.split(block)):
        if number % 2:
            reading.line(piece[1:])
        else:
            _read_lines_of_one_run(reading, piece if piece.endswith(b"\n") else piece + b"\n")


def _read_lines_of_one_run(reading: _Reading, block: bytes) -> None:
    found = _ANSWERED.findall(block)
    if len(found) == block.count(b"\n") - 1:
        reading.answered(found)
        return
    # Within one run each row has one line, so the order of these lines is moot: the
    # answered rows at once, then the rest (failed rows, a stop, garbled lines) one by one.
    reading.answered(found)
    for raw in _ANSWERED.sub(b"", block)[1:-1].split(b"\n"):
        reading.line(raw)
