"""Keys of a batch job's rows: stable across runs, so a resume is billed nothing twice.

A row's ``Idempotency-Key`` is ``<job>.<row key>.<digest>``: the job, the row's own key
(a field the caller names, or its position in the input), and a digest of the request it
makes. The same row in a resumed job gets the same key, and the server replays the first
answer; a row whose request changed gets a new key, so it is never resumed into an old
answer.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from typing import Any

from .._checks import MAX_IDEMPOTENCY_KEY

_SAFE_KEY = re.compile(r"[A-Za-z0-9_:-]{1,64}")


def call_name(method: Any) -> str:
    """``chat.completions.create``: where a client method hangs off the client."""
    resource = getattr(method, "__self__", None)
    path = getattr(resource, "_resource", None)
    name = getattr(method, "__name__", type(method).__name__)
    return f"{path}.{name}" if path else str(getattr(method, "__qualname__", name))


def default_job(method_name: str, rows: object, output: str | os.PathLike[str] | None) -> str:
    """A job id for this method over this input (a file's path) or into this output.

    With neither a file to read nor one to write, nothing can be resumed: a fresh id."""
    if isinstance(rows, (str, os.PathLike)):
        anchor = "in:" + os.path.abspath(os.fspath(rows))
    elif output is not None:
        anchor = "out:" + os.path.abspath(os.fspath(output))
    else:
        anchor = "run:" + uuid.uuid4().hex
    return hashlib.sha256(f"{method_name}\n{anchor}".encode()).hexdigest()[:12]


# One encoder for every row: json.dumps with options builds a new one per call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=repr)


def request_digest(method_name: str, call: object) -> str:
    """What the row asks for, canonically: any change to it makes a new key."""
    text = _CANONICAL.encode([method_name, call])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class LineDigest:
    """A JSONL input's row by its bytes: a line edited in any way makes a new key."""

    def __init__(self, method_name: str) -> None:
        self._prefix = hashlib.sha256(method_name.encode() + b"\n")

    def __call__(self, line: bytes) -> str:
        digest = self._prefix.copy()
        digest.update(line)
        return digest.hexdigest()[:16]


def row_key_of(row: object, index: int, key_field: str | None) -> str:
    if key_field is None:
        return str(index)
    if not isinstance(row, dict) or key_field not in row:
        raise ValueError(
            f"row {index} has no {key_field!r} field to key it by: every row needs one, "
            "or leave key=None to key rows by their position"
        )
    return str(row[key_field])


def idempotency_key(job: str, row_key: str, digest: str) -> str:
    # A row key that is not header-safe (spaces, non-ASCII, too long) travels as a hash.
    safe = row_key if _SAFE_KEY.fullmatch(row_key) else "h" + _short_hash(row_key)
    key = f"{job}.{safe}.{digest}"
    return key if len(key) <= MAX_IDEMPOTENCY_KEY else f"{job}.h{_short_hash(key)}.{digest}"


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def require_job(job: object) -> str:
    if not isinstance(job, str) or not _SAFE_KEY.fullmatch(job):
        raise ValueError(
            "job must be 1 to 64 letters, digits, '_', ':' or '-' (it starts every row's "
            f"idempotency key), got {job!r}"
        )
    return job
