"""The retry policy: which failures are retried, and how long to wait before the next try."""

from __future__ import annotations

import email.utils
import random
import time

RETRYABLE_STATUS_CODES = frozenset({408, 409, 429, 500, 502, 503, 504})
RETRY_AFTER_CAP = 30.0
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
JITTER = 0.25


def is_retryable_status(status_code: int) -> bool:
    return status_code in RETRYABLE_STATUS_CODES


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            seconds = when.timestamp() - (time.time() if now is None else now)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None  # not a date, or one past what a datetime holds (a huge offset)
    if seconds != seconds:  # NaN says nothing usable
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


def backoff_delay(attempt: int, *, rng: random.Random | None = None) -> float:
    """``min(0.5 * 2**attempt, 8.0)`` plus jitter in ``[0, 0.25)``; ``attempt`` counts from 0."""
    jitter: float = (rng or random).random() * JITTER
    return min(BACKOFF_BASE * 2.0 ** min(attempt, 32), BACKOFF_CAP) + jitter


def retry_delay(attempt: int, retry_after: str | None = None) -> float:
    """The wait before retry number ``attempt + 1``: the server's word first, else backoff."""
    delay = parse_retry_after(retry_after)
    return backoff_delay(attempt) if delay is None else delay
