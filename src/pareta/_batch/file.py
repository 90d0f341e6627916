"""A batch job's results file: one JSON line per finished row, and the job's only state.

A row is done when its line is on disk. Lines are appended as rows finish and flushed to
the operating system at once, so killing the process (even ``kill -9``) loses at most the
line being written; a torn last line is cut off when the file is opened again. A power
cut can lose more: the SDK does not ``fsync`` each line, which would cost a disk round
trip per row. One job at a time writes a file (``lock.py``).

The first line names the job, each run adds a ``run`` line, and every row line starts
with its idempotency key and whether the row is done and ends with the key again, so a
resume scans a file of millions of lines without parsing them, and a torn or spliced
line anywhere is seen for what it is: not done, its row sent again.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from array import array
from bisect import bisect_left
from collections.abc import Container, Iterable
from typing import IO, Any

from .._exceptions import APIStatusError, ParetaError
from .lock import Held, HeldElsewhere, hold

FORMAT = 2
# A done row's whole line: the key it starts with is the key it ends with.
_DONE_ROW = re.compile(rb'\n\{"id":"([^"\\\n]*)","done":true,[^\n]*,"end":"\1"\}(?=\n)')
# A content-keyed row's key: its line's hex digest, then ".2", ".3" from its second
# occurrence on (one character class: an optional group costs the scan a tenth).
_ROW_KEY = rb"([0-9a-f.]+)"
_BLOCK = 1 << 22
# Past two million done rows, their hashes are kept in 8 bytes each rather than ~60.
COMPACT_FROM = 2_000_000
# Rejected for what they are, not for when they were sent: resending cannot help.
_PERMANENT_STATUSES = frozenset({400, 413, 422})
_MAX_MESSAGE = 2000


class ResultsFileError(ParetaError):
    """The results file cannot be used for this job (another job's file, one another job
    is writing, or unreadable)."""


class DoneKeys:
    """The keys of rows already done, as 64-bit hashes (``hash(key) in done.hashes``): a
    set up to ``COMPACT_FROM`` keys (about 60 bytes a key, the fastest lookup), a sorted
    array of 8 bytes a key beyond.

    A job keyed by content and opened with its ``variant`` keeps its row keys, the middle
    of its idempotency keys: a resume then checks a row by its line's digest alone,
    without making the whole key of a row that is done."""

    def __init__(self) -> None:
        self._set: set[int] = set()
        self._more = array("q")
        self.hashes: Container[int] = self._set

    def add(self, hashes: Iterable[int]) -> None:
        if len(self._set) < COMPACT_FROM:
            self._set.update(hashes)
        else:
            self._more.extend(hashes)

    def freeze(self) -> DoneKeys:
        """Done adding: past ``COMPACT_FROM`` keys, sort them all into 8 bytes a key."""
        if len(self._set) >= COMPACT_FROM:
            self.hashes = _SortedHashes(array("q", sorted([*self._set, *self._more])))
            self._set, self._more = set(), array("q")
        return self

    def __contains__(self, key: str) -> bool:
        return hash(key) in self.hashes

    def __len__(self) -> int:
        return len(self.hashes)  # type: ignore[arg-type]

    @classmethod
    def empty(cls) -> DoneKeys:
        return cls()


class _SortedHashes:
    def __init__(self, hashes: array[int]) -> None:
        self.sorted = hashes

    def __contains__(self, target: object) -> bool:
        position = bisect_left(self.sorted, target)  # type: ignore[call-overload]
        return position < len(self.sorted) and bool(self.sorted[position] == target)

    def __len__(self) -> int:
        return len(self.sorted)


class ResultsFile:
    """Appends row lines; safe to share between the threads of the sync client. Holds
    the file's lock until ``close``."""

    def __init__(self, file: IO[bytes], lock: Held | None = None) -> None:
        self._file = file
        self._lock = threading.Lock()
        self._held = lock

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
            if self._held is not None:
                self._held.release()


class Opened:
    """A results file opened for a job: where to write, what is done, and whose it is."""

    def __init__(self, writer: ResultsFile, done: DoneKeys, job: str) -> None:
        self.writer = writer
        self.done = done
        self.job = job


def open_results(
    path: str | os.PathLike[str],
    job: str,
    method: str,
    key_field: str | None = None,
    *,
    named: bool = True,
    variant: str | None = None,
) -> Opened:
    """Lock and open (or start) the results file of ``job``, with the keys it has done.

    A job that was not ``named`` by the caller takes the job of the file it resumes. A job
    keyed by content that gives its ``variant`` gets the row keys of its done rows (see
    ``DoneKeys``); done rows of another variant are not its own."""
    name = os.fspath(path)
    try:
        lock = hold(path)
    except HeldElsewhere as exc:
        raise ResultsFileError(
            f"{name!r} is being written by another batch job ({exc.holder}): wait for it "
            "to finish (or stop it), or write this job to another output file. A lock "
            "left by a process that died goes with it."
        ) from None
    except OSError as exc:
        raise ResultsFileError(f"cannot use {name!r} as a results file: {exc}") from exc
    try:
        opened = _open_locked(path, job, method, key_field, named, variant)
    except BaseException:
        lock.release()
        raise
    opened.writer._held = lock
    opened.writer.write(run_record())
    return opened


def _open_locked(
    path: str | os.PathLike[str],
    job: str,
    method: str,
    key_field: str | None,
    named: bool,
    variant: str | None,
) -> Opened:
    header = {"pareta_batch": FORMAT, "job": job, "method": method, "key": key_field}
    try:
        file = open(path, "a+b")  # noqa: SIM115 - kept open for the job's life
        try:
            file.seek(0)
            first = file.readline()
            if not first.endswith(b"\n"):
                # New, or killed before the header was whole: nothing else is in it.
                file.truncate(0)
                file.write(json.dumps(header, separators=(",", ":")).encode() + b"\n")
                return Opened(ResultsFile(file), DoneKeys.empty(), job)
            job = _check_header(first, header, path, named)
            done_rows = _DONE_ROW
            if key_field is None and variant is not None:
                done_rows = _done_rows_of(job, variant)
            return Opened(ResultsFile(file), _scan(file, done_rows), job)
        except BaseException:
            file.close()
            raise
    except OSError as exc:
        raise ResultsFileError(f"cannot use {os.fspath(path)!r} as a results file: {exc}") from exc


def _done_rows_of(job: str, variant: str) -> re.Pattern[bytes]:
    """A done row's whole line, for rows of ``job`` keyed by content under ``variant``:
    what it captures is the row key."""
    key = re.escape(f"{job}.".encode()) + _ROW_KEY + re.escape(f".{variant}".encode())
    end = re.escape(f"{job}.".encode()) + rb"\1" + re.escape(f".{variant}".encode())
    return re.compile(rb'\n\{"id":"' + key + rb'","done":true,[^\n]*,"end":"' + end + rb'"\}(?=\n)')


def _scan(file: IO[bytes], done_rows: re.Pattern[bytes]) -> DoneKeys:
    done = DoneKeys()
    end = file.tell()
    carry = b"\n"  # the newline that ends the header: every row line follows one
    # Whole blocks through one regular expression: a million lines in about a second.
    while block := file.read(_BLOCK):
        chunk = carry + block
        cut = chunk.rfind(b"\n")  # what follows the last newline is not whole yet
        done.add(map(hash, map(bytes.decode, done_rows.findall(chunk, 0, cut + 1))))
        end += cut  # chunk[0] is the newline at end - 1, chunk[cut] the last one
        carry = chunk[cut:]
    # Anything after the last newline is the torn last line of a killed run: cut it off,
    # and its row is sent again.
    file.truncate(end)
    return done.freeze()


def _check_header(
    line: bytes, header: dict[str, Any], path: str | os.PathLike[str], named: bool
) -> str:
    name = os.fspath(path)
    try:
        found = json.loads(line)
    except ValueError:
        found = None
    if not isinstance(found, dict) or found.get("pareta_batch") not in (1, FORMAT):
        raise ResultsFileError(
            f"{name!r} is not a pareta batch results file; choose another output path"
        )
    if found["pareta_batch"] != FORMAT:
        raise ResultsFileError(
            f"{name!r} was written by an earlier pareta, which keyed rows differently: "
            "resuming it here would send its rows again. Write this job to a new output "
            "file (`pareta batch status` still reads the old one)"
        )
    if found.get("method") != header["method"] or (named and found.get("job") != header["job"]):
        raise ResultsFileError(
            f"{name!r} holds the results of job {found.get('job')!r} "
            f"({found.get('method')}), not {header['job']!r} ({header['method']}): pass "
            f"job={found.get('job')!r} to resume that job, or write this one to another "
            "output file"
        )
    if found.get("key") != header["key"]:
        raise ResultsFileError(
            f"{name!r} keyed its rows by {_keyed(found.get('key'))}, and this job by "
            f"{_keyed(header['key'])}: its rows would all be sent again. "
            f"{_resume_with(found.get('key'))} to resume it, or write to another output file"
        )
    return str(found["job"])


def _resume_with(field: object) -> str:
    return "Leave key unset (no --key)" if field is None else f"Pass key={field!r} (--key {field})"


def _keyed(field: object) -> str:
    return "their content" if field is None else f"the field {field!r}"


def row_record(
    key: str,
    row_key: str,
    index: int,
    attempts: int,
    request_id: str | None,
    result: object = None,
    error: BaseException | None = None,
    *,
    call: object = None,
    repeat: int = 1,
) -> dict[str, Any]:
    """One row's line. ``id`` and ``done`` come first and ``id`` again last: resuming
    reads nothing else."""
    record: dict[str, Any] = {
        "id": key,
        "done": error is None or is_permanent(error, call),
        "key": row_key,
        "index": index,
        "ok": error is None,
        "attempts": attempts,
    }
    if repeat > 1:
        record["repeat"] = repeat
    record["request_id"] = request_id
    if error is None:
        record["result"] = jsonable(result)
    else:
        record["error"] = error_record(error)
    record["end"] = key
    return record


def run_record() -> dict[str, Any]:
    return {
        "event": "run",
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "pid": os.getpid(),
        "host": socket.gethostname(),
    }


def stop_record(reason: str, detail: str) -> dict[str, Any]:
    return {"event": "stopped", "reason": reason, "detail": detail[:_MAX_MESSAGE]}


def is_permanent(error: BaseException, call: object = None) -> bool:
    """A row the server (or a pre-flight check) rejected for what it is, which a resend
    would only repeat: done, not sent again. A 404 counts when it is about an id the row
    itself names (``runs.retrieve(row)``), not a model or endpoint shared by every row."""
    if isinstance(error, APIStatusError):
        if error.status_code == 404:
            return _names_own_id(error, call)
        return error.status_code in _PERMANENT_STATUSES
    return isinstance(error, (ValueError, TypeError))


def _names_own_id(error: APIStatusError, call: object) -> bool:
    if error.response is None:
        return False
    try:
        segments = set(error.response.request.url.path.split("/"))
    except RuntimeError:  # a response built without its request
        return False
    values = call.values() if isinstance(call, dict) else [call]
    return any(isinstance(value, str) and value in segments for value in values)


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
