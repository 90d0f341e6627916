"""Unwrapping the envelopes list and single-record answers arrive in."""

from __future__ import annotations

from typing import Any


def records(data: Any, key: str) -> list[dict[str, Any]]:
    """The records of a list answer: a bare array, or an array under ``key`` (or ``data``)."""
    if isinstance(data, dict):
        data = data.get(key, data.get("data"))
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def record(data: dict[str, Any], key: str) -> dict[str, Any]:
    """The record of a single answer, unwrapped when the server enveloped it under ``key``."""
    inner = data.get(key)
    return inner if isinstance(inner, dict) and "id" not in data else data
