"""Rate control: one process on a hand-driven clock, then many sharing one org's limit in
a simulated org (``tests/pacing.py``)."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pareta._batch.rate import (
    HORIZON,
    MIN_RATE,
    SLOW_START,
    UNDER_LIMIT,
    RateControl,
    Spacing,
    pace_for,
    parse_rate,
)
from tests.pacing import Clock, refused_share, share_of_limit, simulate


def control() -> tuple[RateControl, Clock]:
    clock = Clock()
    clock.now = 100.0
    return RateControl(clock=clock, random=lambda: 0.5), clock


def answer(
    rc: RateControl,
    clock: Clock,
    status: int,
    n: int = 1,
    every: float = 0.01,
    headers: dict[str, str] | None = None,
) -> None:
    for _ in range(n):
        clock.now += every
        rc.observe(status, headers or {}, sent=clock.now - every / 2)


def bucket(limit: float, remaining: int, reset: float) -> dict[str, str]:
    return {
        "x-ratelimit-limit": f"{limit:g}",
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": f"{reset:g}",
    }


def test_unpaced_until_the_server_pushes_back() -> None:
    rc, clock = control()
    answer(rc, clock, 200, n=50)
    assert rc.rate is None
    assert rc.reserve() == (0.0, True)


def test_the_first_429_without_a_limit_paces_at_what_the_server_was_answering() -> None:
    rc, clock = control()
    answer(rc, clock, 200, n=100)  # 100 answers in one second
    answer(rc, clock, 429)
    assert rc.rate == pytest.approx(100 * 0.85, rel=0.05)
    assert rc.signals == 1


def test_a_stated_limit_starts_slow_and_doubles_up_to_its_ceiling() -> None:
    rc, clock = control()
    answer(rc, clock, 200, headers=bucket(40, 9, 0.025))
    assert rc.rate == pytest.approx(40 * UNDER_LIMIT * SLOW_START)
    answer(rc, clock, 200, n=20, every=0.1, headers=bucket(40, 9, 0.025))
    assert rc.rate == pytest.approx(40 * UNDER_LIMIT)  # doubled, then held at the ceiling
    answer(rc, clock, 200, n=100, every=0.1, headers=bucket(40, 9, 0.025))
    assert rc.rate == pytest.approx(40 * UNDER_LIMIT)  # never past 95% of the org's limit


def test_refusals_of_a_jobs_first_burst_start_it_slow_rather_than_cut() -> None:
    rc, clock = control()
    clock.now += 0.05
    for _ in range(5):  # a job's first requests, all sent before any answer came
        rc.observe(429, bucket(100, 0, 0.1), sent=clock.now - 0.05)
    assert rc.rate == pytest.approx(100 * UNDER_LIMIT * SLOW_START)
    assert rc.signals == 0


def drained(excess: float) -> RateControl:
    """A process alone at its ceiling, then the org sending ``excess`` a second past its
    limit of 100 (others joined): the bucket empties by that much a second."""
    rc, clock = control()
    answer(rc, clock, 200, n=40, every=0.1, headers=bucket(100, 10, 0.0))
    deficit = 0.0
    while rc.signals == 0:
        deficit += excess * 0.05
        answer(rc, clock, 200, every=0.05, headers=bucket(100, int(10 - deficit), deficit / 100))
    return rc


def test_an_emptying_bucket_cuts_every_process_by_how_fast_it_empties() -> None:
    rc = drained(8.0)
    # Every process cuts by the same factor, steering the org to 93% of its limit.
    assert rc.rate == pytest.approx(95 * 0.93 * 100 / 108, rel=0.03)


def test_a_bucket_emptied_in_a_bunch_and_refilled_is_no_signal() -> None:
    rc, clock = control()
    answer(rc, clock, 200, n=40, every=0.1, headers=bucket(100, 10, 0.0))
    for _ in range(10):  # a busy machine sends five at once, every half second
        for remaining in (9, 8, 7, 6, 5):
            answer(
                rc, clock, 200, every=0.001, headers=bucket(100, remaining, 0.01 * (10 - remaining))
            )
        answer(rc, clock, 200, n=5, every=0.1, headers=bucket(100, 10, 0.0))
    assert rc.signals == 0


def test_a_bucket_still_low_but_refilling_after_a_cut_is_no_second_signal() -> None:
    rc = drained(20.0)
    clock = rc._clock
    assert isinstance(clock, Clock)
    for remaining in (3, 3, 4, 4, 5, 5, 6, 7, 8):
        answer(rc, clock, 200, every=0.1, headers=bucket(100, remaining, (10 - remaining) / 100))
    assert rc.signals == 1


def test_answers_to_requests_sent_before_a_cut_change_nothing() -> None:
    rc, clock = control()
    answer(rc, clock, 200, n=100)
    answer(rc, clock, 429)
    cut = rc.rate
    for _ in range(20):  # refused, but sent before the cut: the cut already answered them
        clock.now += 0.001
        rc.observe(429, {}, sent=clock.now - 1.0)
        rc.observe(200, {}, sent=clock.now - 1.0)
    assert (rc.rate, rc.signals) == (cut, 1)
    # Without a send time, one change at most every half second.
    rc.observe(429, {})
    assert rc.signals == 1
    clock.now += 0.6
    rc.observe(429, {})
    assert rc.signals == 2


@pytest.mark.parametrize("value", ["abc", "-3", "inf", "0", "nan"])
def test_a_nonsense_stated_limit_is_ignored(value: str) -> None:
    rc, clock = control()
    answer(rc, clock, 200, n=100)
    answer(rc, clock, 429, headers={"x-ratelimit-limit": value})
    assert rc.rate == pytest.approx(100 * 0.85, rel=0.05)  # as with no limit stated


def test_a_tiny_stated_limit_paces_no_slower_than_the_floor() -> None:
    rc, clock = control()
    answer(rc, clock, 429, headers={"x-ratelimit-limit": "1e-9"})
    answer(rc, clock, 429, n=20, every=1.0, headers={"x-ratelimit-limit": "1e-9"})
    assert rc.rate == MIN_RATE


def test_a_lone_503_is_a_fault_not_a_limit_but_many_are() -> None:
    rc, clock = control()
    answer(rc, clock, 200, n=50)
    answer(rc, clock, 503)
    assert rc.rate is None
    answer(rc, clock, 503, n=10)  # a sixth of the answers
    assert rc.rate is None
    answer(rc, clock, 503, n=10)  # near a third
    assert rc.rate is not None


@pytest.mark.parametrize("per_second", [20, 200, 1200])
def test_a_few_percent_of_503s_at_random_are_faults_at_any_pace(per_second: int) -> None:
    # A flaky server's 503s come in chance clusters (three in the first twenty answers):
    # retried, they are no reason to slow a whole job down.
    import random

    for seed in range(20):
        rc, clock = control()
        chance = random.Random(seed)
        for _ in range(per_second * 10):
            answer(rc, clock, 503 if chance.random() < 0.05 else 200, every=1 / per_second)
        assert (rc.signals, rc.rate) == (0, None), seed


def test_503s_from_long_ago_say_nothing_of_the_server_now() -> None:
    # A client's pace outlives its jobs: an earlier job's 503s, before a pause, are not
    # counted with the next job's few first answers.
    rc, clock = control()
    for n in range(40):
        answer(rc, clock, 503 if n % 2 else 200)
    assert rc.rate is None  # too few answers to tell
    clock.now += 20.0
    answer(rc, clock, 200, n=10)
    answer(rc, clock, 503)
    assert (rc.signals, rc.rate) == (0, None)


def test_503s_from_an_overloaded_server_cut_the_pace_within_a_second() -> None:
    rc, clock = control()
    answer(rc, clock, 200, n=200, every=0.005)
    for n in range(150):  # shedding half its load
        answer(rc, clock, 503 if n % 2 == 0 else 200, every=0.005)
    assert rc.rate is not None and rc.rate < 200 * 0.9


def test_with_no_limit_stated_the_climb_steepens_the_longer_no_signal_comes() -> None:
    rc, clock = control()
    answer(rc, clock, 200, n=100)
    answer(rc, clock, 429)
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


def test_slots_are_spaced_at_the_rate_and_booked_only_near_term() -> None:
    clock = Clock()
    cap = Spacing(10.0, clock, random=lambda: 0.5)
    booked = [cap.reserve() for _ in range(3)]
    assert booked == [(0.0, True), pytest.approx((0.1, True)), pytest.approx((0.2, True))]
    # Slot 0.3 is past the horizon: come back later, nothing is booked that far ahead.
    assert cap.reserve() == (HORIZON, False)
    clock.now += 0.1
    wait, now_booked = cap.reserve()
    assert now_booked
    assert wait == pytest.approx(0.2)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([200, 200, 200, 429, 503, 500]), st.integers(0, 10)),
        max_size=300,
    )
)
def test_the_rate_stays_between_the_floor_and_the_ceiling(answers: list[tuple[int, int]]) -> None:
    rc, clock = control()
    for status, remaining in answers:
        answer(rc, clock, status, every=0.02, headers=bucket(50, remaining, (10 - remaining) / 50))
        assert rc.rate is None or MIN_RATE <= rc.rate <= 50 * UNDER_LIMIT


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([200, 200, 429, 503]),
            st.integers(0, 10),
            st.floats(0.0, 1.0),
            st.floats(0.0, 2.0),
        ),
        max_size=200,
    )
)
def test_any_answers_at_any_times_leave_a_usable_rate(
    answers: list[tuple[int, int, float, float]],
) -> None:
    rc, clock = control()
    for status, remaining, gap, age in answers:
        clock.now += gap
        rc.observe(status, bucket(20, remaining, (10 - remaining) / 20), sent=clock.now - age)
        delay, _ = rc.reserve()
        assert 0.0 <= delay <= 1 / MIN_RATE
        assert rc.rate is None or MIN_RATE <= rc.rate <= 20 * UNDER_LIMIT


@pytest.mark.parametrize(
    ("processes", "limit", "start_apart"),
    [
        (2, 100.0, 0.0),  # the fast layer's case; the others take seconds of CPU each
        pytest.param(1, 100.0, 0.0, marks=pytest.mark.slow),
        pytest.param(4, 200.0, 0.0, marks=pytest.mark.slow),
        pytest.param(2, 100.0, 5.0, marks=pytest.mark.slow),
        pytest.param(8, 200.0, 0.0, marks=pytest.mark.slow),
    ],
)
def test_processes_on_one_key_share_its_limit_without_a_coordinator(
    processes: int, limit: float, start_apart: float
) -> None:
    procs = simulate(processes, limit=limit, starts=lambda i: i * start_apart)
    ramped = 10.0 + start_apart * (processes - 1)
    assert share_of_limit(procs, limit, after=ramped) >= 0.9
    assert max(refused_share(p) for p in procs) <= 0.03
    speeds = [p.done / ((p.finished_at or 0.0) - p.start) for p in procs]
    assert min(speeds) >= 0.75 * max(speeds)
    assert all(p.done == p.rows for p in procs)


class Client:
    """A stand-in for a client's request core."""


def test_a_pace_belongs_to_its_client() -> None:
    first, second = Client(), Client()
    assert pace_for(first) is pace_for(first)
    assert pace_for(first) is not pace_for(second)


def test_a_forked_child_learns_its_pace_afresh() -> None:
    owner = Client()
    pace = pace_for(owner)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        os.write(write, b"fresh" if pace_for(owner) is not pace else b"kept")
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 16) == b"fresh"


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
