"""A batch job's results file: one JSON line per finished row, and the job's only state.

A row is done when its line is on disk. Lines are appended as rows finish and flushed to
the operating system at once, so killing the process (even ``kill -9``) loses at most the
line being written; a torn last line is cut off when the file is opened again. A power
cut can lose more: the SDK does not ``fsync`` each line, which would cost a disk round
trip per row.

The first line names the job. Every row line starts with its idempotency key and whether
the row is done, so a resume can scan a file of millions of lines without parsing them.
"""

from __future__ import annotations

import json
import os
import re
import threading
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any

from .._exceptions import APIStatusError, ParetaError

FORMAT = 1
_DONE_ROW = re.compile(r'^\{"id":"([^"]*)","done":true,', re.MULTILINE)
_BLOCK = 1 << 22
# Past two million done rows, their hashes are kept in 8 bytes each rather than ~60.
COMPACT_FROM = 2_000_000
# Rejected for what they are, not for when they were sent: resending cannot help.
_PERMANENT_STATUSES = frozenset({400, 422})
_MAX_MESSAGE = 2000


class ResultsFileError(ParetaError):
    """The results file cannot be used for this job (another job's file, or unreadable)."""


class DoneKeys:
    """The keys of rows already done, as 64-bit hashes: a set up to ``COMPACT_FROM`` keys
    (about 60 bytes a key, the fastest lookup), a sorted array of 8 bytes a key beyond."""

    def __init__(self, hashes: array[int]) -> None:
        compact = len(hashes) >= COMPACT_FROM
        self._set = frozenset[int]() if compact else frozenset(hashes)
        self._sorted = array("q", sorted(hashes) if compact else ())

    def __contains__(self, key: str) -> bool:
        target = hash(key)
        if not self._sorted:
            return target in self._set
        position = bisect_left(self._sorted, target)
        return position < len(self._sorted) and self._sorted[position] == target

    def __len__(self) -> int:
        return len(self._set) + len(self._sorted)

    @classmethod
    def empty(cls) -> DoneKeys:
        return cls(array("q"))


class ResultsFile:
    """Appends row lines; safe to share between the threads of the sync client."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":"), default=repr).encode() + b"\n"
        try:
            with self._lock:
                self._file.write(line)
                self._file.flush()
        except (OSError, ValueError) as exc:  # ValueError: written after the job closed it
            raise ResultsFileError(f"cannot write the results file: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._file.close()


def open_results(
    path: str | os.PathLike[str], job: str, method: str
) -> tuple[ResultsFile, DoneKeys]:
    """Open (or start) the results file of ``job``; the keys it already has done."""
    header = {"pareta_batch": FORMAT, "job": job, "method": method}
    try:
        if not os.path.exists(path):
            writer = ResultsFile(open(path, "wb"))  # noqa: SIM115
            writer.write(header)
            return writer, DoneKeys(array("q"))
        file = open(path, "r+b")  # noqa: SIM115
        try:
            done = _scan(file, header, path)
        except BaseException:
            file.close()
            raise
    except OSError as exc:
        raise ResultsFileError(f"cannot use {os.fspath(path)!r} as a results file: {exc}") from exc
    return ResultsFile(file), done


def _scan(file: IO[bytes], header: dict[str, Any], path: str | os.PathLike[str]) -> DoneKeys:
    first = file.readline()
    if not first.endswith(b"\n"):
        # Killed before the header was whole: nothing else can be in the file.
        file.seek(0)
        file.truncate()
        file.write(json.dumps(header, separators=(",", ":")).encode() + b"\n")
        return DoneKeys(array("q"))
    _check_header(first, header, path)
    hashes: array[int] = array("q")
    end = file.tell()
    tail = b""
    # Whole blocks through one regular expression: a million lines in about a second.
    while block := file.read(_BLOCK):
        block = tail + block
        cut = block.rfind(b"\n") + 1  # what follows the last newline is not whole yet
        # Keys are ASCII: as text they hash like the keys a job looks up.
        hashes.extend(map(hash, _DONE_ROW.findall(block[:cut].decode("latin-1"))))
        end += cut
        tail = block[cut:]
    # Anything after the last newline is the torn last line of a killed run: cut it off,
    # and its row is sent again.
    file.seek(end)
    file.truncate()
    return DoneKeys(hashes)


def _check_header(line: bytes, header: dict[str, Any], path: str | os.PathLike[str]) -> None:
    try:
        found = json.loads(line)
    except ValueError:
        found = None
    if not isinstance(found, dict) or found.get("pareta_batch") != FORMAT:
        raise ResultsFileError(
            f"{os.fspath(path)!r} is not a pareta batch results file; choose another output path"
        )
    if found.get("job") != header["job"]:
        raise ResultsFileError(
            f"{os.fspath(path)!r} holds the results of job {found.get('job')!r}, not "
            f"{header['job']!r}: pass job={found.get('job')!r} to resume that job, or "
            "write this one to another output file"
        )


def row_record(
    key: str,
    row_key: str,
    index: int,
    attempts: int,
    request_id: str | None,
    result: object = None,
    error: BaseException | None = None,
) -> dict[str, Any]:
    """One row's line. ``id`` and ``done`` come first: resuming reads nothing else."""
    record: dict[str, Any] = {
        "id": key,
        "done": error is None or is_permanent(error),
        "key": row_key,
        "index": index,
        "ok": error is None,
        "attempts": attempts,
        "request_id": request_id,
    }
    if error is None:
        record["result"] = jsonable(result)
    else:
        record["error"] = error_record(error)
    return record


def stop_record(reason: str, detail: str) -> dict[str, Any]:
    return {"event": "stopped", "reason": reason, "detail": detail[:_MAX_MESSAGE]}


def is_permanent(error: BaseException) -> bool:
    """A row the server (or a pre-flight check) rejected for what it is: not sent again."""
    if isinstance(error, APIStatusError):
        return error.status_code in _PERMANENT_STATUSES
    return isinstance(error, (ValueError, TypeError))


def error_record(error: BaseException) -> dict[str, Any]:
    record: dict[str, Any] = {"type": type(error).__name__, "message": str(error)[:_MAX_MESSAGE]}
    if isinstance(error, APIStatusError):
        record.update(status=error.status_code, detail=error.detail, request_id=error.request_id)
    return record


def jsonable(result: object) -> Any:
    """A response object as the JSON the server sent; lists and dicts as they are."""
    to_dict = getattr(result, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(result, list):
        return [jsonable(item) for item in result]
    return result


def read_lines(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Every whole line of a results file, header and events included, parsed."""
    try:
        with open(path, "rb") as file:
            for number, line in enumerate(file, start=1):
                if not line.endswith(b"\n"):
                    return  # a torn last line: that row is not done
                try:
                    yield json.loads(line)
                except ValueError as exc:
                    raise ResultsFileError(
                        f"{os.fspath(path)!r} line {number} is not JSON: {exc}"
                    ) from exc
    except OSError as exc:
        raise ResultsFileError(f"cannot read {os.fspath(path)!r}: {exc}") from exc


def summarize(path: str | os.PathLike[str]) -> dict[str, Any]:
    """What a results file says: rows answered and failed (the last line of each row
    counts), the errors by type, attempts, and why the job last stopped, if it did."""
    lines = read_lines(path)
    header = next(lines, None)
    if not isinstance(header, dict) or header.get("pareta_batch") != FORMAT:
        raise ResultsFileError(f"{os.fspath(path)!r} is not a pareta batch results file")
    latest: dict[str, tuple[bool, bool, str | None]] = {}
    attempts = 0
    stopped: dict[str, Any] | None = None
    for line in lines:
        if line.get("event") == "stopped":
            stopped = {"reason": line.get("reason"), "detail": line.get("detail")}
            continue
        error = line.get("error") or {}
        latest[str(line.get("key"))] = (
            bool(line.get("ok")),
            bool(line.get("done")),
            error.get("type"),
        )
        attempts += int(line.get("attempts") or 0)
    failed = Counter(kind for ok, _, kind in latest.values() if not ok)
    return {
        "job": header.get("job"),
        "method": header.get("method"),
        "rows": len(latest),
        "answered": sum(1 for ok, _, _ in latest.values() if ok),
        "failed": sum(failed.values()),
        "to_retry": sum(1 for ok, done, _ in latest.values() if not done),
        "errors": dict(failed.most_common()),
        "attempts": attempts,
        "stopped": stopped,
    }
