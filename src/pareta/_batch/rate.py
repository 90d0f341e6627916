"""Rate control for batch jobs: how fast to send, learned from what the server says.

Like TCP congestion control, per job: unpaced until the server first signals that it is
at its limit, then paced at a rate that climbs while requests succeed and is cut on each
signal (at most once a second, so one burst of refusals counts once).

Signals: a 429; 503s when they are at least a tenth of the last second's answers (a lone
503 is a fault to retry, not a limit: cutting the rate for each would starve a job on a
flaky link); and, once paced, ``x-ratelimit-remaining: 0`` (the server is at its limit
before it refuses). When the server states its limit in ``x-ratelimit-limit`` (read as
requests a second), the job paces at 95% of it and never climbs past that; otherwise the
first paced rate is what the server was answering, measured, not a guess.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

# Chosen against a token bucket of 100/s with a burst of 10 (benchmarks/batch_rate.py):
# a 0.85 cut, then a climb that starts at 2% a second and steepens the longer no signal
# comes, holds the rate near the limit and finds it again fast after a wrong cut.
# Halving, as TCP does, would average 75% of the limit.
DECREASE = 0.85
WARNED = 0.95
CLIMB = 0.02
MIN_RATE = 0.5
SIGNAL_SPACING = 1.0
WINDOW = 1.0
OVERLOAD_SHARE = 0.1
HORIZON = 0.25
# Under a stated limit, so the server's burst refills instead of running dry.
UNDER_LIMIT = 0.95
GAP_CLOSED = 0.5

Clock = Callable[[], float]


def parse_rate(rate: object) -> float | None:
    """``"auto"`` (``None``: learn it) or a positive number of requests per second."""
    if rate == "auto":
        return None
    if isinstance(rate, bool) or not isinstance(rate, (int, float)):
        raise TypeError(f'rate must be "auto" or requests per second, not {rate!r}')
    if not 0 < rate < float("inf"):
        raise ValueError(f'rate must be "auto" or a positive requests per second, got {rate}')
    return float(rate)


class RateControl:
    """When the next attempt may start. Shared by every worker of one job (threads too)."""

    def __init__(
        self,
        cap: float | None = None,
        *,
        clock: Clock = time.monotonic,
        random: Callable[[], float] = random.random,
    ) -> None:
        self.cap = cap
        self.rate: float | None = cap
        self.signals = 0
        self._clock = clock
        self._random = random
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self._started = clock()
        self._last_signal = self._last_climb = self._started
        self._answers: deque[tuple[float, int]] = deque()
        self._limit: float | None = None

    def reserve(self) -> tuple[float, bool]:
        """Seconds to wait, and whether a send slot was booked for the end of that wait
        (if not, ask again after it: only the next ``HORIZON`` seconds are booked, so a
        changed rate takes effect at once instead of after slots booked at the old one)."""
        if self.rate is None:
            return 0.0, True
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            if slot - now > HORIZON:
                # Waiters come back at spread-out times rather than all at once.
                return HORIZON * (0.5 + self._random()), False
            self._next_slot = slot + 1.0 / self.rate
            return slot - now, True

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Learn from one answer: a success, a refusal, or the server's own counters."""
        with self._lock:
            now = self._clock()
            self._answers.append((now, status))
            while self._answers[0][0] < now - WINDOW:
                self._answers.popleft()
            self._limit = _stated_limit(headers) or self._limit
            if self._is_signal(status, headers):
                # Running dry is a warning before any refusal: a gentler cut than a 429's.
                self._signal(now, DECREASE if status == 429 else WARNED)
            elif 200 <= status < 300:
                self._climb(now)

    def _is_signal(self, status: int, headers: Mapping[str, str]) -> bool:
        if status == 429:
            return True
        if headers.get("x-ratelimit-remaining") == "0":
            return self.rate is not None or self._limit is not None
        if status != 503:
            return False
        overloaded = sum(1 for _, s in self._answers if s == 503)
        return overloaded >= OVERLOAD_SHARE * len(self._answers)

    def _climb(self, now: float) -> None:
        if self.rate is None:
            return
        quiet, elapsed = now - self._last_signal, now - self._last_climb
        self.rate += self.rate * CLIMB * (1.0 + 2.0 * quiet) * elapsed
        ceiling = self._ceiling()
        if ceiling < float("inf"):
            # Under a stated limit the way back is known: close half the gap a second.
            self.rate += (ceiling - self.rate) * min(1.0, GAP_CLOSED * elapsed)
        self._last_climb = now
        self.rate = min(self.rate, ceiling)

    def _ceiling(self) -> float:
        stated = float("inf") if self._limit is None else self._limit * UNDER_LIMIT
        return min(stated, float("inf") if self.cap is None else self.cap)

    def _signal(self, now: float, decrease: float) -> None:
        if self.signals and now - self._last_signal < SIGNAL_SPACING:
            return
        self.signals += 1
        if self.rate is None and self._limit is not None:
            self.rate = self._ceiling()
        elif self.rate is None:
            successes = sum(1 for _, s in self._answers if 200 <= s < 300)
            measured = successes / max(min(WINDOW, now - self._started), 0.05)
            self.rate = max(MIN_RATE, measured * DECREASE)
        else:
            self.rate = max(MIN_RATE, self.rate * decrease)
        self._last_signal = self._last_climb = now


def _stated_limit(headers: Mapping[str, str]) -> float | None:
    if "x-ratelimit-limit" not in headers:
        return None
    try:
        limit = float(headers.get("x-ratelimit-limit", ""))
    except ValueError:
        return None
    return limit if 0 < limit < float("inf") else None
