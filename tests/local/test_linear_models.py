"""The built-in models run in time linear in their input, whatever the input."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from pareta.local.engine import EXTRACTORS, MAX_SCAN_CHARS, classify, document_text
from pareta.local.tasks import TASKS

MIT = (
    'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, '
    "INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR "
    "PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE "
)
# Inputs that made the old patterns backtrack: each is a function of its length.
HOSTILE: dict[str, Callable[[int], str]] = {
    "capitalised words": lambda n: "A " * (n // 2),
    "between capitalised words": lambda n: "between " + "A " * (n // 2),
    "blank lines": lambda n: "\n" * n,
    "blank lines with spaces": lambda n: " \n" * (n // 2),
    "all-caps licence": lambda n: (MIT * (n // len(MIT) + 1))[:n],
    "digits": lambda n: "1" * n,
    "labels": lambda n: "a: " * (n // 3),
    "cues and dates": lambda n: ("due 2020-01-01 " * (n // 15 + 1))[:n],
}


def _seconds(extract: Callable[[str], object], text: str) -> float:
    best = float("inf")
    for _ in range(3):  # the best of three: another process's burst is not the model's cost
        started = time.perf_counter()
        extract(text)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.slow
@pytest.mark.parametrize("family", list(HOSTILE))
def test_four_times_the_input_costs_about_four_times_the_time(family: str) -> None:
    make = HOSTILE[family]
    for name, extract in EXTRACTORS.items():
        small, large = make(4_000), make(16_000)
        base = max(_seconds(extract, small), 1e-4)  # below 0.1 ms the clock is the noise
        ratio = _seconds(extract, large) / base
        # Linear is 4; the backtracking patterns this replaced were 16 and worse.
        assert ratio < 9, f"{name} on {family}: 4x the input took {ratio:.1f}x the time"


def test_models_read_a_bounded_prefix() -> None:
    head = "Invoice No: INV-1\nTotal due: $5.00\n"
    text = head + "x" * (2 * MAX_SCAN_CHARS) + "\nInvoice No: INV-2"
    assert EXTRACTORS["invoice"](text[:MAX_SCAN_CHARS])["invoice_number"] == "INV-1"
    assert document_text(b"%PDF" + b"(" * (3 * MAX_SCAN_CHARS)) == ""


def test_unicode_names_survive_the_linear_patterns() -> None:
    text = "This Agreement is made between Müller GmbH and Société Générale SA."
    assert EXTRACTORS["contract"](text)["parties"] == ["Müller GmbH", "Société Générale SA"]
    assert EXTRACTORS["pii"]("mail zoë@exämple.com or call (555) 123-4567")["phones"] == [
        "5551234567"
    ]
    task = next(t for t in TASKS if t.extractor is None)
    assert classify("", task.lexicon, task.default_label) == task.default_label
