"""Injectable faults: per route, by count or seeded probability.

A fault is written as one line, ``[METHOD] PATH [key=value ...]``:

    POST /v1/chat/completions status=503 retry_after=1 count=2
    * /v1/endpoints/* latency=250ms probability=0.1
    POST /v1/chat/completions drop_after=3
    GET /v1/tasks drop

PATH is a glob (``*`` matches within and across segments). Faults apply in
the order they were added; the first that matches, has count left and wins its
probability roll is applied. ``/admin`` routes are never faulted.

A fault belongs to the org that set it (``org_id``) and hits only that org's
requests. A server-wide fault (``org_id`` None) hits every request: only the
operator sets those, with ``--fault`` or `LocalServer.inject_fault` (or over
``/admin/faults`` with ``"scope": "server"`` when the server was started with
``--allow-server-faults``). Values are bounded and finite (`LIMITS`).
"""

from __future__ import annotations

import fnmatch
import heapq
import logging
import math
import random
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import count as counter
from typing import Any

_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "*"}
MAX_LATENCY = 300.0
MAX_RETRY_AFTER = 3600.0
MAX_COUNT = 10**9
MAX_TEXT = 500
_fault_ids = counter(1)


class InjectedDrop(Exception):
    """Raised to make the server abort the connection mid-response."""


class DropLogFilter(logging.Filter):
    """Keeps uvicorn quiet about connections we dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        while exc is not None:
            if isinstance(exc, InjectedDrop):
                return False
            exc = exc.__cause__ or exc.__context__
        return True


def _seconds(raw: str) -> float:
    raw = raw.strip().lower()
    if raw.endswith("ms"):
        return float(raw[:-2]) / 1000
    return float(raw.removesuffix("s"))


@dataclass
class Fault:
    """One injected misbehaviour on the routes matching `method` and `path`.

    - ``status`` (+ ``retry_after`` seconds): answer with this status and
      ``{"detail": detail}`` instead of running the route.
    - ``latency`` seconds: wait before running the route (or before the
      status). A client that gives up meanwhile gets nothing and is billed
      nothing.
    - ``drop_after=N``: deliver N server-sent events, then drop the
      connection; a non-streamed response is cut off inside its body.
    - ``drop``: send response headers promising a body, then drop the
      connection without running the route.
    - ``count``: apply to the next N matching requests only (default: all).
    - ``probability``: apply to each matching request with this chance,
      rolled on the server's seeded RNG.
    """

    path: str
    method: str = "*"
    status: int | None = None
    retry_after: float | None = None
    latency: float = 0.0
    drop_after: int | None = None
    drop: bool = False
    count: int | None = None
    probability: float = 1.0
    detail: str = "Injected fault"
    id: str = field(default_factory=lambda: f"flt_{next(_fault_ids)}")
    hits: int = 0
    org_id: str | None = None

    def __post_init__(self) -> None:
        self._check_bounds()
        self.method = self.method.upper()
        if self.method not in _METHODS:
            raise ValueError(f"unknown method {self.method!r}")
        if not self.path.startswith(("/", "*")):
            raise ValueError(f"path must start with '/': {self.path!r}")
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError("status must be an error status (400-599)")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be within [0, 1]")
        if self.latency < 0 or (self.count is not None and self.count < 0):
            raise ValueError("latency and count cannot be negative")
        if self.drop_after is not None and self.drop_after < 0:
            raise ValueError("drop_after cannot be negative")
        effects = [self.status is not None, self.drop, self.drop_after is not None]
        if sum(effects) > 1:
            raise ValueError("choose one of status, drop and drop_after")
        if not any(effects) and self.latency == 0:
            raise ValueError("a fault needs status, latency, drop or drop_after")

    def _check_bounds(self) -> None:
        if not (math.isfinite(self.latency) and 0 <= self.latency <= MAX_LATENCY):
            raise ValueError(f"latency must be a number of seconds within [0, {MAX_LATENCY:g}]")
        if self.retry_after is not None and not (
            math.isfinite(self.retry_after) and 0 <= self.retry_after <= MAX_RETRY_AFTER
        ):
            raise ValueError(f"retry_after must be within [0, {MAX_RETRY_AFTER:g}] seconds")
        if not math.isfinite(self.probability):
            raise ValueError("probability must be within [0, 1]")
        for name in ("count", "drop_after"):
            value = getattr(self, name)
            if value is not None and value > MAX_COUNT:
                raise ValueError(f"{name} must be at most {MAX_COUNT}")
        if len(self.path) > MAX_TEXT or len(self.detail) > MAX_TEXT:
            raise ValueError(f"path and detail must be at most {MAX_TEXT} characters")

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """Parse ``[METHOD] PATH [key=value ...]`` (see the module docstring)."""
        tokens = spec.split()
        if not tokens:
            raise ValueError("empty fault spec")
        method = "*"
        if tokens[0].upper() in _METHODS and len(tokens) > 1:
            method = tokens.pop(0).upper()
        path, options = tokens[0], tokens[1:]
        kwargs: dict[str, Any] = {}
        for option in options:
            key, sep, value = option.partition("=")
            key = key.lower().replace("-", "_")
            try:
                if key == "drop" and not sep:
                    kwargs["drop"] = True
                elif key == "drop":
                    kwargs["drop"] = value.lower() in ("1", "true", "yes")
                elif key in ("status", "count", "drop_after"):
                    kwargs[key] = int(value)
                elif key in ("retry_after", "latency"):
                    kwargs[key] = _seconds(value)
                elif key in ("probability", "p"):
                    kwargs["probability"] = float(value)
                elif key == "detail":
                    kwargs["detail"] = value.replace("_", " ")
                else:
                    raise ValueError(f"unknown fault option {key!r}")
            except ValueError as exc:
                raise ValueError(f"bad fault option {option!r}: {exc}") from None
        return cls(path=path, method=method, **kwargs)

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and fnmatch.fnmatchcase(path, self.path)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "retry_after": self.retry_after,
            "latency": self.latency,
            "drop_after": self.drop_after,
            "drop": self.drop,
            "count": self.count,
            "probability": self.probability,
            "detail": self.detail,
            "hits": self.hits,
            "org_id": self.org_id,
        }


class FaultQuotaExceeded(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class FaultInjector:
    """The active faults and the seeded RNG that rolls their probabilities.

    Faults are shelved by owner (None for server-wide ones), so picking one for a
    request reads the server-wide shelf and its org's only: the cost does not grow
    with the number of orgs, and an org's shelf holds at most `max_per_org`.
    """

    def __init__(
        self, faults: Iterable[Fault] = (), seed: int | None = None, max_per_org: int = 100
    ) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self.max_per_org = max_per_org
        self._added = counter()
        # (order added, fault) per owner: the order is kept across shelves.
        self._shelves: dict[str | None, list[tuple[int, Fault]]] = {}
        for fault in faults:
            self._shelves.setdefault(fault.org_id, []).append((next(self._added), fault))

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            shelf = self._shelves.setdefault(fault.org_id, [])
            if fault.org_id is not None and len(shelf) >= self.max_per_org:
                raise FaultQuotaExceeded(self.max_per_org)
            shelf.append((next(self._added), fault))
        return fault

    def remove(self, fault_id: str, org_id: str | None = None) -> bool:
        """Remove a fault (only `org_id`'s when given)."""
        with self._lock:
            owners = [org_id] if org_id is not None else list(self._shelves)
            for owner in owners:
                shelf = self._shelves.get(owner, [])
                for i, (_, fault) in enumerate(shelf):
                    if fault.id == fault_id:
                        del shelf[i]
                        return True
            return False

    def clear(self, org_id: str | None = None) -> int:
        """Remove every fault (only `org_id`'s when given); how many were removed."""
        with self._lock:
            if org_id is not None:
                return len(self._shelves.pop(org_id, ()))
            cleared = sum(len(shelf) for shelf in self._shelves.values())
            self._shelves.clear()
            return cleared

    def list(self, org_id: str | None = None) -> list[Fault]:
        """Every fault, or those that can hit `org_id` (its own and server-wide ones)."""
        with self._lock:
            return list(self._candidates(org_id, every=org_id is None))

    def _candidates(self, org_id: str | None, *, every: bool = False) -> Iterator[Fault]:
        owners = list(self._shelves) if every else [None, org_id] if org_id else [None]
        shelves = [self._shelves.get(owner, []) for owner in owners]
        for _, fault in heapq.merge(*shelves, key=lambda entry: entry[0]):
            yield fault

    def pick(self, method: str, path: str, org_id: str | None = None) -> Fault | None:
        with self._lock:
            for fault in self._candidates(org_id):
                if fault.count == 0 or not fault.matches(method, path):
                    continue
                if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                    continue
                if fault.count is not None:
                    fault.count -= 1
                fault.hits += 1
                return fault
        return None
