"""Rate control, on a hand-driven clock."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pareta._batch.rate import HORIZON, MIN_RATE, RateControl, parse_rate


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def control(cap: float | None = None) -> tuple[RateControl, Clock]:
    clock = Clock()
    return RateControl(cap, clock=clock, random=lambda: 0.5), clock


def answer(rc: RateControl, clock: Clock, status: int, n: int = 1, every: float = 0.01) -> None:
    for _ in range(n):
        clock.now += every
        rc.observe(status, {})


def test_unpaced_until_the_server_pushes_back() -> None:
    rc, clock = control()
    answer(rc, clock, 200, n=50)
    assert rc.rate is None
    assert rc.reserve() == (0.0, True)


def test_the_first_429_paces_at_what_the_server_was_answering() -> None:
    rc, clock = control()
    answer(rc, clock, 200, n=100)  # 100 answers in one second
    rc.observe(429, {})
    assert rc.rate == pytest.approx(100 * 0.85, rel=0.05)
    assert rc.signals == 1


def test_a_stated_limit_sets_the_pace_once_the_server_runs_dry() -> None:
    rc, clock = control()
    answer(rc, clock, 200, n=20)
    rc.observe(200, {"x-ratelimit-remaining": "0"})
    assert rc.rate is None  # unpaced and no limit stated: wait for a refusal
    rc.observe(200, {"x-ratelimit-limit": "40", "x-ratelimit-remaining": "3"})
    assert rc.rate is None
    rc.observe(200, {"x-ratelimit-limit": "40", "x-ratelimit-remaining": "0"})
    assert rc.rate == pytest.approx(38.0)
    answer(rc, clock, 200, n=1000)
    assert rc.rate == pytest.approx(38.0)  # never climbs past 95% of the stated limit
    clock.now += 2
    rc.observe(200, {"x-ratelimit-remaining": "0"})
    assert rc.rate == pytest.approx(38.0 * 0.95)  # once paced, running dry is a (soft) signal


def test_a_nonsense_stated_limit_is_ignored() -> None:
    rc, clock = control()
    for value in ("abc", "-3", "inf", "0"):
        rc.observe(429, {"x-ratelimit-limit": value})
        clock.now += 2
    assert rc.rate == MIN_RATE


def test_a_burst_of_refusals_counts_once_a_second() -> None:
    rc, clock = control()
    answer(rc, clock, 200, n=100)
    answer(rc, clock, 429, n=20, every=0.001)
    assert rc.signals == 1
    clock.now += 1.1
    rc.observe(429, {})
    assert rc.signals == 2


def test_a_lone_503_is_a_fault_not_a_limit_but_many_are() -> None:
    rc, clock = control()
    answer(rc, clock, 200, n=50)
    rc.observe(503, {})
    assert rc.rate is None
    answer(rc, clock, 503, n=10)
    assert rc.rate is not None


def test_the_rate_climbs_faster_the_longer_no_signal_comes() -> None:
    rc, clock = control()
    answer(rc, clock, 200, n=100)
    rc.observe(429, {})
    start = rc.rate
    assert start is not None
    answer(rc, clock, 200, n=100)  # one quiet second
    first = rc.rate
    assert first is not None
    answer(rc, clock, 200, n=500)  # five more
    later = rc.rate
    assert later is not None
    assert start < first < later
    assert (later - first) / 5 > first - start


def test_a_cap_is_never_exceeded_and_is_where_pacing_starts() -> None:
    rc, clock = control(cap=10.0)
    assert rc.rate == 10.0
    answer(rc, clock, 200, n=1000)
    assert rc.rate == 10.0
    rc.observe(429, {})
    assert rc.rate is not None
    assert rc.rate < 10.0


def test_slots_are_spaced_at_the_rate_and_booked_only_near_term() -> None:
    rc, clock = control(cap=10.0)
    booked = [rc.reserve() for _ in range(3)]
    assert booked == [(0.0, True), pytest.approx((0.1, True)), pytest.approx((0.2, True))]
    # Slot 0.3 is past the horizon: come back later, nothing is booked that far ahead.
    assert rc.reserve() == (HORIZON, False)
    clock.now += 0.1
    wait, now_booked = rc.reserve()
    assert now_booked
    assert wait == pytest.approx(0.2)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([200, 200, 200, 429, 503, 500]), max_size=300))
def test_the_rate_stays_positive_and_under_the_cap(statuses: list[int]) -> None:
    rc, clock = control(cap=50.0)
    for status in statuses:
        clock.now += 0.02
        rc.observe(status, {})
        assert rc.rate is not None
        assert MIN_RATE <= rc.rate <= 50.0


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (0, ValueError),
        (-1, ValueError),
        (float("inf"), ValueError),
        ("x", TypeError),
        (True, TypeError),
    ],
)
def test_a_bad_rate_says_what_it_takes(value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="auto"):
        parse_rate(value)


def test_rates_parse() -> None:
    assert parse_rate("auto") is None
    assert parse_rate(12) == 12.0
