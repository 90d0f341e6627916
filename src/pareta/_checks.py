"""Pre-flight checks: a malformed call fails before any request is sent, and says why."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote


def default_set_name(count: int) -> str:
    """The name of an eval set created without one: ``sdk eval set (1 item)``."""
    return f"sdk eval set ({count} item{'' if count == 1 else 's'})"


def require_text(value: object, name: str) -> str:
    """A non-empty, non-blank string argument (a falsy one is a ``ValueError``)."""
    if not value:
        raise ValueError(f"{name} is required and must be a non-empty string, got {value!r}")
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be blank, got {value!r}")
    return value


def path_segment(value: object, name: str) -> str:
    """An id checked and quoted for use as one URL path segment."""
    return quote(require_text(value, name), safe="")


def require_messages(messages: object) -> list[dict[str, Any]]:
    if not isinstance(messages, Sequence) or isinstance(messages, (str, bytes)):
        raise TypeError(
            "messages must be a list of message dicts like "
            '[{"role": "user", "content": "..."}], '
            f"not {type(messages).__name__}"
        )
    if not messages:
        raise ValueError('messages must be a non-empty list, e.g. [{"role": "user", ...}]')
    for position, message in enumerate(messages):
        if not isinstance(message, dict):
            raise TypeError(
                f"messages[{position}] must be a dict like "
                f'{{"role": "user", "content": "..."}}, not {type(message).__name__}'
            )
    return list(messages)


def require_items(items: object) -> list[dict[str, Any]]:
    if not isinstance(items, Sequence) or isinstance(items, (str, bytes)):
        raise TypeError(f"items must be a list of row dicts, not {type(items).__name__}")
    if not items:
        raise ValueError("items must be a non-empty list of rows (one dict per row)")
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            raise TypeError(f"items[{position}] must be a dict, not {type(item).__name__}")
    return list(items)


def require_positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return value


def require_index(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int (a 0-based row index), not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be a 0-based row index (>= 0), got {value}")
    return value


def require_seconds(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if not value >= 0:
        raise ValueError(f"{name} must be >= 0 seconds, got {value}")
    return float(value)


def require_models(models: object) -> list[str]:
    if isinstance(models, str):
        raise TypeError(f"models must be a list of aliases, e.g. [{models!r}], not a string")
    if not isinstance(models, Sequence):
        raise TypeError(f"models must be a list of model aliases, not {type(models).__name__}")
    for model in models:
        if not isinstance(model, str) or not model:
            raise TypeError(f"model aliases must be non-empty strings, got {model!r}")
    return list(models)


# Printable ASCII without spaces: the key travels as an HTTP header and is logged by
# servers, so anything else would be mangled or refused on the way.
_KEY_ALPHABET = frozenset(chr(c) for c in range(0x21, 0x7F))
MAX_IDEMPOTENCY_KEY = 255


def require_idempotency_key(value: object) -> str | None:
    """``None`` (the SDK makes one per call) or a caller's stable key for one call."""
    if value is None:
        return None
    key = require_text(value, "idempotency_key")
    if len(key) > MAX_IDEMPOTENCY_KEY or not _KEY_ALPHABET.issuperset(key):
        raise ValueError(
            f"idempotency_key must be 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters "
            f"without spaces (e.g. 'job-42-row-7'), got {key[:40]!r}"
        )
    return key


def derived_key(key: str | None, step: str) -> str | None:
    """The key of one step of a call that sends several POSTs (an inline set, an upload)."""
    return None if key is None else f"{key[: MAX_IDEMPOTENCY_KEY - len(step) - 1]}.{step}"


def unpicklable(name: str) -> TypeError:
    """Why a client (or a method bound to one) cannot be pickled, and what works instead.

    A client holds open connections and locks bound to this process: a copy in another
    process could not use them, so pickling fails on purpose rather than by accident."""
    return TypeError(
        f"a {name} client cannot be pickled: it holds this process's connections. Create "
        "one client per worker/process; pass configuration, not clients (the API key and "
        "base URL, or PARETA_API_KEY and PARETA_BASE_URL in the worker's environment). For "
        "Ray Data see pareta.ray; for Dask, the README's recipe."
    )
