"""The five endpoint metric dimensions, computed from the traffic an endpoint served."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fastapi import HTTPException

from .records import Endpoint, Traffic

DEFAULT_WINDOW = "24h"
MAX_WINDOW_SECONDS = 90 * 86400
_WINDOW = re.compile(r"^(\d{1,6})([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_BUCKET_SECONDS = {"hour": 3600, "day": 86400}


def _invalid(param: str, value: str, message: str) -> HTTPException:
    return HTTPException(
        422,
        [{"type": "value_error", "loc": ["query", param], "msg": message, "input": value}],
    )


def parse_window(raw: str | None) -> tuple[str, int]:
    window = raw or DEFAULT_WINDOW
    m = _WINDOW.match(window)
    seconds = int(m.group(1)) * _UNIT_SECONDS[m.group(2)] if m else 0
    if not m or not 0 < seconds <= MAX_WINDOW_SECONDS:
        raise _invalid("window", window, "window must look like 30m, 1h, 24h or 7d (at most 90d)")
    return window, seconds


def parse_group_by(raw: str | None) -> str | None:
    if raw is None or raw in _BUCKET_SECONDS:
        return raw
    raise _invalid("group_by", raw, "group_by must be 'hour' or 'day'")


def _percentile(ordered: list[float], q: float) -> float | None:
    if not ordered:
        return None
    rank = q * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    value = ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    return round(value, 3)


def _bucketed(
    records: Iterable[Traffic], group_by: str, summarize: Callable[[list[Traffic]], dict[str, Any]]
) -> list[dict[str, Any]]:
    size = _BUCKET_SECONDS[group_by]
    buckets: dict[int, list[Traffic]] = {}
    for record in records:
        buckets.setdefault(int(record.at // size) * size, []).append(record)
    return [
        {"start": start, "end": start + size, **summarize(buckets[start])}
        for start in sorted(buckets)
    ]


def _latency(records: list[Traffic]) -> dict[str, Any]:
    ordered = sorted(r.latency_ms for r in records if r.status < 400)
    return {
        "request_count": len(records),
        "p50_ms": _percentile(ordered, 0.50),
        "p95_ms": _percentile(ordered, 0.95),
        "p99_ms": _percentile(ordered, 0.99),
        "mean_ms": round(sum(ordered) / len(ordered), 3) if ordered else None,
    }


def _spend(records: list[Traffic]) -> dict[str, Any]:
    served = [r for r in records if r.status < 400]
    total = sum(r.cost_micro_usd for r in served)
    baseline = sum(r.frontier_cost_micro_usd for r in served)
    return {
        "request_count": len(served),
        "total_micro_usd": total,
        "frontier_baseline_micro_usd": baseline,
        "savings_micro_usd": baseline - total,
        "savings_fraction": round((baseline - total) / baseline, 4) if baseline else None,
    }


def _judged(records: list[Traffic]) -> dict[str, Any]:
    scores = [r.quality for r in records if r.quality is not None]
    return {
        "quality_mean": round(sum(scores) / len(scores), 4) if scores else None,
        "n": len(scores),
    }


def _usage(records: list[Traffic]) -> dict[str, Any]:
    served = [r for r in records if r.status < 400]
    prompt = sum(r.prompt_tokens for r in served)
    completion = sum(r.completion_tokens for r in served)
    return {
        "request_count": len(records),
        "success_count": len(served),
        "error_count": len(records) - len(served),
        "streamed_count": sum(1 for r in served if r.stream),
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _uptime(endpoint: Endpoint, start: float, now: float) -> dict[str, Any]:
    observed_from = max(start, endpoint.created)
    live = 0.0
    changes = []
    timeline = [t for t in endpoint.transitions if t[0] <= now]
    for i, (at, status) in enumerate(timeline):
        until = timeline[i + 1][0] if i + 1 < len(timeline) else now
        if status == "live":
            live += max(0.0, min(until, now) - max(at, observed_from))
        if at >= observed_from:
            changes.append({"at": round(at, 3), "status": status})
    observed = now - observed_from
    return {
        "current_status": endpoint.status(now),
        "uptime_fraction": round(live / observed, 6) if observed > 0 else 1.0,
        "live_seconds": round(live, 3),
        "observed_seconds": round(observed, 3),
        "transitions": changes,
    }


_DIMENSIONS: Mapping[str, Callable[[list[Traffic]], dict[str, Any]]] = {
    "performance": _latency,
    "cost": _spend,
    "quality": _judged,
    "activity": _usage,
}


def dimension(
    name: str, endpoint: Endpoint, window: str | None, group_by: str | None
) -> dict[str, Any]:
    window, seconds = parse_window(window)
    group = parse_group_by(group_by)
    now = time.time()
    start = now - seconds
    header = {
        "endpoint_id": endpoint.id,
        "dimension": name,
        "window": window,
        "window_start": round(start, 3),
        "window_end": round(now, 3),
        "group_by": group,
    }
    if name == "uptime":
        return {**header, **_uptime(endpoint, start, now)}
    records = [r for r in endpoint.traffic if r.at >= start]
    summarize = _DIMENSIONS[name]
    body = {**header, **summarize(records)}
    if name == "cost":
        body["frontier_model"] = endpoint.task.benchmarked[0]
    if name == "quality":
        body["judge"] = "reference answer for the task, graded with its default scorer"
        body["scorer"] = endpoint.task.default_scorer
        body["windows"] = _bucketed(records, group or "hour", summarize)
    elif group is not None:
        body["series"] = _bucketed(records, group, summarize)
    return body
