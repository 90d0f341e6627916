"""The spending cap and the estimates it holds, as plain logic."""

from __future__ import annotations

import threading

import pytest

from pareta.mcp.pricing import SAFETY, messages_size, scaled, text_size
from pareta.mcp.spending import SpendingCap, SpendingCapError, parse_usd, usd


@pytest.mark.parametrize(
    ("text", "micro_usd"),
    [("1", 1_000_000), ("0.50", 500_000), ("$2.5", 2_500_000), (" 0 ", 0), ("0.0000019", 1)],
)
def test_parse_usd_reads_dollars_and_rounds_down(text: str, micro_usd: int) -> None:
    assert parse_usd(text) == micro_usd


@pytest.mark.parametrize("text", ["", "ten", "-1", "nan", "inf"])
def test_parse_usd_refuses_what_is_not_an_amount(text: str) -> None:
    with pytest.raises(ValueError, match=r"dollar|amount"):
        parse_usd(text)


@pytest.mark.parametrize(
    ("micro_usd", "text"),
    [
        (0, "$0.00"),
        (1_000_000, "$1.00"),
        (875, "$0.000875"),
        (1_500_000, "$1.50"),
        (13_110, "$0.01311"),
    ],
)
def test_usd_is_exact_and_short(micro_usd: int, text: str) -> None:
    assert usd(micro_usd) == text


def test_a_hold_that_does_not_fit_is_refused_and_nothing_is_held() -> None:
    cap = SpendingCap(1_000)
    cap.hold("a", "the first call", 600)
    with pytest.raises(SpendingCapError) as refused:
        cap.hold("b", "the second call", 500)
    assert refused.value.estimate_micro_usd == 500 and refused.value.left_micro_usd == 400
    assert str(refused.value) == (
        "the second call is estimated at $0.0005, more than the $0.0004 left under this "
        "server's spending cap of $0.001 (spent $0.00, $0.0006 held for calls still running). "
        "Nothing was sent. Ask the user to restart the server with a higher --max-spend-usd "
        "if the spend is wanted."
    )
    assert (cap.spent, cap.held, cap.remaining) == (0, 600, 400)
    cap.hold("c", "a call that fits exactly", 400)
    assert cap.remaining == 0


def test_settling_spends_what_was_reported_or_else_the_estimate() -> None:
    cap = SpendingCap(1_000)
    cap.hold("reported", "a", 300)
    cap.hold("silent", "b", 200)
    cap.hold("refused", "c", 100)
    assert cap.settle("reported", 120) == 120
    assert cap.settle("silent", None) == 200  # nothing reported: the estimate counts
    assert cap.settle("refused", 0) == 0
    assert cap.settle("reported", 5) is None  # settled once only
    assert (cap.spent, cap.held, cap.remaining) == (320, 0, 680)


def test_a_hold_moves_to_the_id_the_call_got() -> None:
    cap = SpendingCap(1_000)
    cap.hold("pending", "an eval run", 700)
    cap.rename("pending", "run:run_1")
    assert [(h.key, h.what, h.micro_usd) for h in cap.holds()] == [
        ("run:run_1", "an eval run", 700)
    ]
    with pytest.raises(ValueError, match="already held"):
        cap.hold("run:run_1", "the same run", 1)
    assert cap.settle("run:run_1", 650) == 650 and cap.remaining == 350


def test_threads_holding_at_once_never_pass_the_cap() -> None:
    cap = SpendingCap(3_503)  # room for 500 holds of 7; 800 are tried
    won = []
    start = threading.Barrier(8)

    def take(worker: int) -> None:
        start.wait()
        for n in range(100):
            try:
                cap.hold(f"{worker}.{n}", "a call", 7)
            except SpendingCapError:
                continue
            won.append(1)

    threads = [threading.Thread(target=take, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 500 and cap.held == 7 * len(won) <= cap.limit


def test_an_estimate_scales_with_the_input_and_errs_high() -> None:
    assert scaled(100, chars=50, typical_chars=200) == 100 * SAFETY  # never scaled down
    assert scaled(100, chars=600, typical_chars=200) == 300 * SAFETY
    assert scaled(3, chars=10, typical_chars=0) == 3 * SAFETY
    assert scaled(1, chars=201, typical_chars=200) == 3  # rounded up: 2.01 -> 3
    assert text_size("héllo") == 5 and text_size({"a": 1}) == len('{"a": 1}')
    assert messages_size([{"role": "user", "content": "abc"}, {"content": {"x": 1}}]) == 3 + 8
