"""Keys of a batch job's rows: stable across runs, so a resume is billed nothing twice.

A row's ``Idempotency-Key`` starts with its job, then says which row it is:

- without a key field, the row is what it holds: ``<job>.<content>.<variant>``, where
  ``content`` is a digest of the line's bytes (a JSONL file) or of the row in canonical
  JSON (anything else), with ``.2``, ``.3`` for the second and third identical row, and
  ``variant`` a digest of the method (and of the options the command line adds). Editing,
  deleting, inserting or reordering rows changes no other row's key.
- with a key field, ``<job>.<field value>.<digest of the request>``: a row whose request
  changed gets a new key, so it is never resumed into an old answer. A second row with
  the same value fails alone, unsent.

The same row in a resumed job gets the same key, and the server replays the first answer.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from array import array
from collections.abc import Iterable
from typing import Any

from .._checks import MAX_IDEMPOTENCY_KEY

_SAFE_KEY = re.compile(r"[A-Za-z0-9_:-]{1,64}")


def call_name(method: Any) -> str:
    """``chat.completions.create``: where a client method hangs off the client."""
    resource = getattr(method, "__self__", None)
    path = getattr(resource, "_resource", None)
    name = getattr(method, "__name__", type(method).__name__)
    return f"{path}.{name}" if path else str(getattr(method, "__qualname__", name))


def default_job(method_name: str, output: str | os.PathLike[str] | None) -> str:
    """A job id for this method into this output file, wherever its input lives.

    Without a file to write, nothing can be resumed: a fresh id."""
    anchor = "run:" + uuid.uuid4().hex if output is None else os.path.abspath(os.fspath(output))
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


class Seen:
    """How often each row identity came up in this run, by its 64-bit hash.

    An open-addressing table in one flat array: 16 to 32 bytes a row, where a set of
    Python ints takes about 70. The few identities seen twice or more are counted apart."""

    def __init__(self) -> None:
        self.table = array("q", [0]) * 1024
        self.mask = 1023
        self.size = 0
        self._repeats: dict[int, int] = {}

    def count(self, identity: int) -> int:
        """1 the first time ``identity`` comes up, 2 the second, and so on."""
        identity = identity or 1  # 0 marks an empty slot
        slot = self._slot(identity)
        if self.table[slot]:
            return self.repeat(identity)
        self.add(slot, identity)
        return 1

    def has_any(self, identities: Iterable[int]) -> bool:
        """Whether any of ``identities`` (none of them 0) came up before."""
        table = self.table
        return any(table[self._slot(identity)] for identity in identities)

    def _slot(self, identity: int) -> int:
        """Where ``identity`` is, or the empty slot where it would go."""
        table, mask = self.table, self.mask
        slot = identity & mask
        while (found := table[slot]) and found != identity:
            slot = (slot + 1) & mask
        return slot

    def repeat(self, identity: int) -> int:
        """``identity``, seen before, comes up again: how many times now."""
        times = self._repeats[identity] = self._repeats.get(identity, 1) + 1
        return times

    def add(self, slot: int, identity: int) -> None:
        """``identity`` comes up for the first time, at its empty ``slot``."""
        self.table[slot] = identity
        self.size += 1
        if self.size * 2 > self.mask:
            self.grow()

    def grow(self) -> None:
        """Twice the slots: called once the table is half full."""
        old = self.table
        self.mask = mask = self.mask * 2 + 1
        self.table = table = array("q", [0]) * (mask + 1)
        for identity in old:
            if identity:
                slot = identity & mask
                while table[slot]:
                    slot = (slot + 1) & mask
                table[slot] = identity


# Copied, not made: a hasher made with digest_size= costs twice as much as a copy.
EMPTY_DIGEST = hashlib.blake2b(digest_size=8)


def line_digest(raw: bytes) -> str:
    """A JSONL row's content: the digest of its line's bytes."""
    digest = EMPTY_DIGEST.copy()
    digest.update(raw)
    return digest.hexdigest()


def content_key(digest: str, times: int) -> str:
    """A content-keyed row's key: its digest, numbered from its second occurrence on."""
    return digest if times == 1 else f"{digest}.{times}"


def _salted(method_name: str, salt: str) -> str:
    """The method, and the command line's options (the endpoint, max_tokens), which are
    part of every request."""
    return method_name if not salt else f"{method_name}\n{salt}"


def variant_of(method_name: str, salt: str = "") -> str:
    """What ends a content-keyed row's key: a digest of the method and its options."""
    return hashlib.sha256(_salted(method_name, salt).encode()).hexdigest()[:8]


class RowKeys:
    """The keys of one job's rows, in input order (identical rows are numbered)."""

    def __init__(self, job: str, method_name: str, key_field: str | None, salt: str = "") -> None:
        self.job = job
        self.key_field = key_field
        self.seen = Seen()
        self._method = _salted(method_name, salt)
        self.variant = variant_of(method_name, salt)
        self._line = LineDigest(self._method)

    def of_line(self, raw: bytes) -> tuple[str, str]:
        """A content-keyed JSONL row: (its row key, its idempotency key), from its bytes.
        (``input.fresh_lines`` is this, written out for speed.)"""
        digest = line_digest(raw)
        row_key = content_key(digest, self.seen.count(hash(digest)))
        return row_key, f"{self.job}.{row_key}.{self.variant}"

    def of_value(self, row: object) -> tuple[str, str]:
        """A content-keyed row of any other kind, by its canonical JSON."""
        digest = line_digest(_CANONICAL.encode(row).encode())
        row_key = content_key(digest, self.seen.count(hash(digest)))
        return row_key, f"{self.job}.{row_key}.{self.variant}"

    def of_field(self, row_key: str, call: object, raw: bytes | None) -> tuple[str, int]:
        """A row keyed by its field: (its idempotency key, how many rows had this value)."""
        times = self.seen.count(hash(row_key))
        if times > 1:
            return idempotency_key(self.job, row_key, f"repeat{times}"), times
        digest = self._line(raw) if raw is not None else request_digest(self._method, call)
        return idempotency_key(self.job, row_key, digest), 1


def row_key_of(row: object, index: int, key_field: str | None) -> str:
    if key_field is None:
        return str(index)
    if not isinstance(row, dict) or key_field not in row:
        raise ValueError(
            f"row {index} has no {key_field!r} field to key it by: every row needs one, "
            "or leave key=None to key rows by their content"
        )
    return str(row[key_field])


def repeated_key(index: int, key_field: str, row_key: str) -> ValueError:
    return ValueError(
        f"row {index} has the same {key_field!r} value as an earlier row ({row_key!r}): "
        "it was not sent. Give each row its own value, or leave key=None to key rows by "
        "their content"
    )


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
