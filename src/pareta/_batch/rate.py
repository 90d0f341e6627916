"""Rate control: how fast this process may send, learned from what the server says.

An org's rate limit is shared by everything that sends with its key: several jobs, an
actor per core, a worker per core, on one machine or many. There is no coordinator, so
each process learns its share the way TCP flows share a link, from signals that every
process sees alike because they describe the one org:

- ``x-ratelimit-limit`` is the org's ceiling, never this process's target: a process
  never paces above 95% of it, and usually far below, when others share the key.
- ``x-ratelimit-reset`` (seconds until the bucket is full again) times the limit is how
  far the org's bucket is from full, in requests (from ``x-ratelimit-remaining`` when no
  reset is sent). A bucket that empties means the org as a whole sends faster than its
  limit; how fast it empties says by how much, so every process cuts its own rate by the
  same factor, and together they land just under the limit before anyone is refused.
- A 429 (the bucket is empty) cuts harder. So do 503s that are a quarter of the last
  second's answers, and of at least the last 50 (of the last ten seconds): a server that
  sheds load sheds that much, while a flaky one's few percent of 503s are faults to
  retry, not a limit, even when chance brings three of them in twenty answers.
- While the bucket stays near full, the rate climbs: a little for every process, and
  more the further it is below the ceiling. Cuts keep each process's share; the climb
  gives more to whoever has less, so processes that started apart converge on equal
  shares.

A process that starts with a stated limit but no history starts at a quarter of the
ceiling and doubles about every second (TCP's slow start) until the bucket answers. With
no limit stated, it sends unpaced until the first refusal, then at 85% of what the server
was answering. What a process learned lives in its ``RateControl``, one per base URL and
key: its client (``pace_for``), so its next job, batch or partition starts at that pace.

Failure modes: a server that sends no rate-limit headers is paced by its 429s alone (a
few percent of attempts refused). A process that cannot see the bucket (a proxy that
strips headers) competes by 429s and takes more than its share. A peer that ignores the
signals still gets everything it asks for; the others give way, down to ``MIN_RATE``.
"""

from __future__ import annotations

import os
import random
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping

DECREASE = 0.85  # a refusal with nothing measured, and the factor that ends slow start
REFUSED = 0.75  # a 429: the bucket is empty
MIN_RATE = 0.5
SIGNAL_SPACING = 0.5  # long enough for a cut to show in the answers
WINDOW = 1.0
OVERLOAD_SHARE = 0.25
# Fewer answers than this cannot tell load shed from chance: 5% of faults make 13 of 50
# one time in 300,000.
OVERLOAD_ANSWERS = 50
STALE = 10.0  # answers this old say nothing of the server now, however few came since
HORIZON = 0.25
UNDER_LIMIT = 0.95  # the ceiling: the bucket refills between bursts
REFILL = 0.93  # after a drain, the org is steered to this share of its limit
DRAINING = 0.35  # the bucket this far from full, and emptying, is a signal
HOLD = 0.25  # this far from full and the rate holds instead of climbing
CLIMB = 0.01  # of the ceiling a second, for every process
CATCH_UP = 0.05  # of the gap to the ceiling a second
CLIMB_UNSTATED = 0.02  # of the rate a second, steeper the longer no signal comes
SLOW_START = 0.25  # of the ceiling, for a process with nothing learned
SLOPE_SPAN = 0.3  # seconds over which the bucket's emptying is measured
EPOCH = 1e6  # a reset this large is a timestamp, not seconds left

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


class Spacing:
    """Send slots at a fixed rate, booked at most ``HORIZON`` seconds ahead (``rate=N``)."""

    def __init__(
        self, rate: float | None, clock: Clock, random: Callable[[], float] = random.random
    ) -> None:
        self.rate = rate
        self._clock = clock
        self._random = random
        self._lock = threading.Lock()
        self._next_slot = 0.0

    def now(self) -> float:
        return self._clock()

    def reserve(self) -> tuple[float, bool]:
        """Seconds to wait, and whether a send slot was booked for the end of that wait
        (if not, ask again after it: only the next ``HORIZON`` seconds are booked, so a
        changed rate takes effect at once instead of after slots booked at the old one)."""
        rate = self.rate
        if rate is None:
            return 0.0, True
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            if slot - now > HORIZON:
                # Waiters come back at spread-out times rather than all at once.
                return HORIZON * (0.5 + self._random()), False
            self._next_slot = slot + 1.0 / rate
            return slot - now, True


class RateControl(Spacing):
    """When this process's next request to one org may start. Shared by every job and
    worker of the process that uses the org's key (threads too)."""

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        random: Callable[[], float] = random.random,
    ) -> None:
        super().__init__(None, clock, random)
        self.signals = 0
        self._started = clock()
        self._last_climb = self._started
        self._last_signal = float("-inf")
        self._answers: deque[tuple[float, int]] = deque()
        self._limit: float | None = None
        self._burst = 0.0
        self._deficits: deque[tuple[float, float]] = deque()
        self._slow_start = False

    def observe(
        self, status: int, headers: Mapping[str, str], *, sent: float | None = None
    ) -> None:
        """Learn from one answer: a success, a refusal, or the server's own counters.

        ``sent`` is when its request left (this clock): an answer to a request sent before
        the last change of pace tells of the old pace, so it changes nothing (as TCP cuts
        once a window)."""
        with self._lock:
            now = self._clock()
            self._answers.append((now, status))
            while (oldest := self._answers[0][0]) < now - WINDOW and (
                len(self._answers) > OVERLOAD_ANSWERS or oldest < now - STALE
            ):
                self._answers.popleft()
            self._limit = _stated_limit(headers) or self._limit
            if sent is None:  # unknown: at most one change a ``SIGNAL_SPACING``
                sent = now - SIGNAL_SPACING
            if sent < self._last_signal:
                return
            deficit = self._deficit(now, headers)
            if status == 429:
                # Empty while emptying: the org is over its limit. Empty while not: a
                # bunch of requests at once, a milder cut.
                slope = self._slope() if self._deficits else None
                self._signal(now, REFUSED if slope is not None and slope > 0 else DECREASE)
            elif deficit is not None and self._draining():
                self._signal(now, self._drain_factor())
            elif status == 503 and self._overloaded():
                self._signal(now, DECREASE)
            elif 200 <= status < 300:
                self._climb(now, deficit)

    def _deficit(self, now: float, headers: Mapping[str, str]) -> float | None:
        """How many requests the org's bucket is short of full, if the server says."""
        if self._limit is None:
            return None
        remaining = _number(headers.get("x-ratelimit-remaining"))
        reset = _number(headers.get("x-ratelimit-reset"))
        if remaining is None:
            return None
        if reset is not None and reset < EPOCH:
            deficit = reset * self._limit
            self._burst = max(self._burst, remaining + deficit)
        else:
            self._burst = max(self._burst, remaining + 1.0)
            deficit = self._burst - remaining - 1.0
        self._deficits.append((now, deficit))
        while self._deficits[0][0] < now - 2 * SLOPE_SPAN:
            self._deficits.popleft()
        return deficit

    def _draining(self) -> bool:
        """Whether the bucket is low and still emptying, over long enough to tell."""
        slope = self._slope()
        if slope is None or self._deficits[-1][1] < DRAINING * self._burst:
            return False
        return slope * SLOPE_SPAN >= 1.0  # a whole request, not noise

    def _slope(self) -> float | None:
        """How fast the bucket empties, in requests a second, over ``SLOPE_SPAN``.

        Measured on the floor of the readings (the fullest the bucket was) over the
        latest half ``SLOPE_SPAN`` and over as long one ``SLOPE_SPAN`` earlier: requests
        that a busy machine sends in a bunch empty the bucket for an instant, which is no
        trend, while an org over its limit raises the floor too."""
        t1 = self._deficits[-1][0]
        if t1 - self._deficits[0][0] < 1.5 * SLOPE_SPAN - 1e-9:
            return None
        recent = min(d for t, d in self._deficits if t > t1 - SLOPE_SPAN / 2)
        earlier = [(t, d) for t, d in self._deficits if t <= t1 - SLOPE_SPAN]
        start = earlier[-1][0] - SLOPE_SPAN / 2  # as long a stretch, ending there
        before = min(d for t, d in earlier if t >= start)
        return (recent - before) / SLOPE_SPAN

    def _drain_factor(self) -> float:
        """The cut that brings the org to ``REFILL`` of its limit, if all cut alike."""
        limit = self._limit or 0.0
        excess = self._slope() or 0.0  # requests a second the org sends past its limit
        return min(UNDER_LIMIT, max(0.5, REFILL * limit / (limit + excess)))

    def _overloaded(self) -> bool:
        if len(self._answers) < OVERLOAD_ANSWERS:
            return False
        overloaded = sum(1 for _, s in self._answers if s == 503)
        return overloaded >= OVERLOAD_SHARE * len(self._answers)

    def _climb(self, now: float, deficit: float | None) -> None:
        if self.rate is None:
            if self._limit is not None:
                self._start_slow(now)  # nothing learned yet, but a limit stated
            return
        elapsed, self._last_climb = now - self._last_climb, now
        if deficit is not None and deficit >= HOLD * self._burst:
            return
        ceiling = self._ceiling()
        if self._slow_start:
            self.rate += self.rate * min(1.0, elapsed)
        elif ceiling == float("inf"):
            # No limit stated: climb by a share of the rate, faster the longer it is quiet.
            quiet = now - self._last_signal
            self.rate += self.rate * CLIMB_UNSTATED * (1.0 + 2.0 * quiet) * elapsed
        else:
            self.rate += (CLIMB * ceiling + CATCH_UP * max(0.0, ceiling - self.rate)) * elapsed
        self.rate = max(MIN_RATE, min(self.rate, ceiling))

    def _ceiling(self) -> float:
        if self._limit is None:
            return float("inf")
        return max(MIN_RATE, self._limit * UNDER_LIMIT)

    def _signal(self, now: float, decrease: float) -> None:
        if self.rate is None and self._limit is not None:
            # The first requests went out before anything was known (a job's first
            # workers, at once): start slow, as with no refusal, rather than cut.
            self._start_slow(now)
            return
        self.signals += 1
        self._slow_start = False
        if self.rate is None:
            recent = now - WINDOW  # the answers kept go back further when they are few
            successes = sum(1 for t, s in self._answers if 200 <= s < 300 and t >= recent)
            measured = successes / max(min(WINDOW, now - self._started), 0.05)
            self.rate = measured * DECREASE
        else:
            self.rate *= decrease
        self.rate = max(MIN_RATE, self.rate)
        self._last_signal = self._last_climb = now
        self._deficits.clear()  # the bucket under the new pace is yet to be read

    def _start_slow(self, now: float) -> None:
        self.rate, self._slow_start = self._ceiling() * SLOW_START, True
        self._last_signal = self._last_climb = now


def _stated_limit(headers: Mapping[str, str]) -> float | None:
    limit = _number(headers.get("x-ratelimit-limit"))
    return limit if limit is not None and limit > 0 else None


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if 0 <= number < float("inf") else None


# One pace per client (one base URL and key), so that a client's next job, an actor's next
# batch or a worker's next partition starts where the last one left off; a new client
# starts afresh (a test suite's next test too).
_paces: weakref.WeakKeyDictionary[object, RateControl] = weakref.WeakKeyDictionary()
_paces_lock = threading.Lock()


def pace_for(client: object) -> RateControl:
    """The pace learned for the org of one client's requests (its request core)."""
    with _paces_lock:
        pace = _paces.get(client)
        if pace is None:
            pace = _paces[client] = RateControl()
        return pace


def _forget_paces() -> None:
    global _paces_lock
    # A forked child starts afresh: the parent's locks may have been held at the fork.
    _paces_lock = threading.Lock()
    _paces.clear()


if hasattr(os, "register_at_fork"):  # pragma: no branch - every POSIX Python has it
    os.register_at_fork(after_in_child=_forget_paces)
