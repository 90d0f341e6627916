"""Scorers that grade a model's output against an item's `expected`, and the CI."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .engine import find_dates

Scorer = Callable[[Any, Any], float]

_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_MONEY_NOISE = re.compile(r"[,$€£\s]|\b(?:usd|eur|gbp)\b")


def normalize_value(value: Any) -> str:
    """A canonical form so '1,240.00', '$1240' and 1240 compare equal, and dates match."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return _canonical_number(float(value))
    text = " ".join(str(value).strip().lower().split())
    stripped = _MONEY_NOISE.sub("", text)
    if _NUMBER.fullmatch(stripped):
        return _canonical_number(float(stripped))
    dates = find_dates(str(value))
    if len(dates) == 1 and len(text) <= 30:
        return dates[0][1]
    return text.strip(" .,;")


def _canonical_number(number: float) -> str:
    return str(int(number)) if number.is_integer() else f"{number:.4f}".rstrip("0")


def _field_credit(predicted: Any, expected: Any) -> float:
    if isinstance(expected, list):
        if not isinstance(predicted, list):
            predicted = [predicted]
        want = {normalize_value(v) for v in expected}
        got = {normalize_value(v) for v in predicted}
        if not want and not got:
            return 1.0
        hits = len(want & got)
        return 2 * hits / (len(want) + len(got)) if hits else 0.0
    return 1.0 if normalize_value(predicted) == normalize_value(expected) else 0.0


def field_f1(predicted: Any, expected: Any) -> float:
    """F1 over the labelled fields: recall over `expected`, precision over what was answered.

    Only the keys present in `expected` count, so a model is not penalised for
    extracting fields the row did not label.
    """
    if not isinstance(expected, Mapping):
        return exact_match(predicted, expected)
    if not expected:
        return 1.0
    answers = predicted if isinstance(predicted, Mapping) else {}
    answered = [k for k in expected if answers.get(k) is not None]
    correct = sum(_field_credit(answers[k], expected[k]) for k in answered)
    if correct == 0:
        return 0.0
    precision = correct / len(answered)
    recall = correct / len(expected)
    return 2 * precision * recall / (precision + recall)


def _label_of(value: Any) -> Any:
    if isinstance(value, Mapping):
        for key in ("label", "class", "category", "urgency"):
            if key in value:
                return value[key]
    return value


def accuracy(predicted: Any, expected: Any) -> float:
    """1 when the predicted label equals the expected one (`"x"` or `{"label": "x"}`)."""
    return (
        1.0
        if normalize_value(_label_of(predicted)) == normalize_value(_label_of(expected))
        else 0.0
    )


def exact_match(predicted: Any, expected: Any) -> float:
    if isinstance(expected, Mapping) and isinstance(predicted, Mapping):
        keys = set(expected) | {k for k, v in predicted.items() if v is not None}
        same = all(_field_credit(predicted.get(k), expected.get(k)) == 1.0 for k in keys)
        return 1.0 if same else 0.0
    return accuracy(predicted, expected)


SCORERS: dict[str, Scorer] = {
    "field_f1": field_f1,
    "accuracy": accuracy,
    "exact_match": exact_match,
}

# Two-sided 95% Student-t critical values for 1..30 degrees of freedom.
_T_975 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)
_Z_975 = 1.959964


def t_critical(df: int) -> float:
    """The 97.5th percentile of Student's t (Cornish-Fisher beyond the table)."""
    if df < 1:
        raise ValueError("df must be >= 1")
    if df <= len(_T_975):
        return _T_975[df - 1]
    z = _Z_975
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def wilson_interval(mean: float, n: int) -> tuple[float, float]:
    z2 = _Z_975**2
    center = (mean + z2 / (2 * n)) / (1 + z2 / n)
    half = _Z_975 * math.sqrt(mean * (1 - mean) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, center - half), min(1.0, center + half)


def confidence_interval(scores: Sequence[float]) -> tuple[float, float]:
    """95% CI of the mean score, clamped to [0, 1].

    Student-t on the per-item scores; a sample with no spread (or one item)
    falls back to the Wilson interval, so five perfect rows do not claim
    certainty.
    """
    n = len(scores)
    if n == 0:
        raise ValueError("no scores")
    mean = sum(scores) / n
    if n == 1:
        return wilson_interval(min(1.0, max(0.0, mean)), n)
    variance = sum((s - mean) ** 2 for s in scores) / (n - 1)
    if variance == 0:
        return wilson_interval(min(1.0, max(0.0, mean)), n)
    half = t_critical(n - 1) * math.sqrt(variance / n)
    return max(0.0, mean - half), min(1.0, mean + half)
