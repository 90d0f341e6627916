from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pareta.local.scoring import (
    accuracy,
    confidence_interval,
    exact_match,
    field_f1,
    normalize_value,
    t_critical,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("$1,240.00", "1240"),
        (1240, "1240.00"),
        ("January 1, 2026", "2026-01-01"),
        ("  Katana ML ", "katana ml"),
        ("EUR 5,000", 5000),
    ],
)
def test_normalize_value_equates_formats(a: object, b: object) -> None:
    assert normalize_value(a) == normalize_value(b)


def test_field_f1() -> None:
    expected = {"total": "1240.00", "vendor": "Katana ML"}
    assert field_f1({"total": "$1,240.00", "vendor": "Katana ML", "extra": 1}, expected) == 1.0
    assert field_f1({"total": "1240"}, expected) == pytest.approx(2 / 3)  # P=1, R=1/2
    assert field_f1({"total": "99", "vendor": "Katana ML"}, expected) == 0.5
    assert field_f1({}, expected) == 0.0
    assert field_f1("not a dict", expected) == 0.0
    assert field_f1({"parties": ["B", "A"]}, {"parties": ["A", "B"]}) == 1.0
    assert field_f1({"parties": ["A"]}, {"parties": ["A", "B"]}) == pytest.approx(2 / 3)


def test_classification_scorers() -> None:
    assert accuracy("high", {"label": "high"}) == 1.0
    assert accuracy({"label": "HIGH"}, "high") == 1.0
    assert accuracy("low", "high") == 0.0
    assert exact_match({"a": 1}, {"a": "1"}) == 1.0
    assert exact_match({"a": 1, "b": 2}, {"a": 1}) == 0.0


def test_t_critical_matches_tables() -> None:
    assert t_critical(1) == pytest.approx(12.706)
    assert t_critical(30) == pytest.approx(2.042)
    assert t_critical(60) == pytest.approx(2.000, abs=0.002)
    assert t_critical(10_000) == pytest.approx(1.960, abs=0.001)


def test_confidence_interval_values() -> None:
    low, high = confidence_interval([0.0, 1.0] * 10)
    assert low == pytest.approx(0.5 - 2.093 * (0.5129892 / 20**0.5), abs=1e-4)
    assert high == pytest.approx(1 - low)
    perfect = confidence_interval([1.0] * 5)
    assert perfect[1] == 1.0
    assert perfect[0] < 1.0
    assert confidence_interval([1.0] * 100)[0] > perfect[0]  # more rows, tighter interval


@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=60))
def test_confidence_interval_is_bounded_and_holds_the_mean(scores: list[float]) -> None:
    low, high = confidence_interval(scores)
    mean = sum(scores) / len(scores)
    assert 0.0 <= low <= high <= 1.0
    assert low - 1e-9 <= mean <= high + 1e-9


def test_booleans_normalize_to_lowercase_words_not_numbers() -> None:
    assert normalize_value(True) == "true"
    assert normalize_value(False) == "false"
    assert normalize_value(True) != normalize_value(1)


def test_field_f1_list_fields_and_non_mapping_expected() -> None:
    # A scalar answer to a list field counts as a one-element list.
    assert field_f1({"parties": "Acme"}, {"parties": ["Acme"]}) == 1.0
    assert field_f1({"parties": "Acme"}, {"parties": ["Acme", "Globex"]}) == pytest.approx(2 / 3)
    # Two empty lists agree.
    assert field_f1({"parties": []}, {"parties": []}) == 1.0
    # A row labelled with a plain value is graded by exact match.
    assert field_f1("high", "HIGH") == 1.0
    assert field_f1("low", "high") == 0.0
    assert field_f1({"a": 1}, {}) == 1.0


def test_accuracy_reads_each_label_key_and_falls_back_to_the_whole_value() -> None:
    assert accuracy({"class": "spam"}, "spam") == 1.0
    assert accuracy({"category": "billing"}, {"urgency": "billing"}) == 1.0
    assert accuracy({"other": "spam"}, "spam") == 0.0
    assert accuracy({"other": "spam"}, {"other": "spam"}) == 1.0


def test_t_critical_and_confidence_interval_reject_empty_input() -> None:
    with pytest.raises(ValueError, match="df must be >= 1"):
        t_critical(0)
    with pytest.raises(ValueError, match="no scores"):
        confidence_interval([])
