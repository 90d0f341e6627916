"""Summaries, ratios, the markdown table and the issue's target checks."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from spec import BY_NAME, C64, C256, SEQ, STREAM

RSS = "rss"
METRICS: tuple[tuple[str, str], ...] = (
    (SEQ, "sequential µs/req"),
    (C64, "64 concurrent µs/req"),
    (C256, "256 concurrent µs/req"),
    (STREAM, "stream µs/chunk"),
    (RSS, "peak RSS @256 MB"),
)


def summarize(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def summaries(runs: dict[str, dict[str, Any]]) -> dict[str, dict[str, dict[str, float] | None]]:
    """``{client: {metric: summary}}`` from the per-repetition values."""
    table: dict[str, dict[str, dict[str, float] | None]] = {}
    for client, run in runs.items():
        values: dict[str, list[float]] = run.get("values", {})
        table[client] = {metric: summarize(values.get(metric, [])) for metric, _ in METRICS}
    return table


def median_of(stats: dict[str, dict[str, Any]], client: str, metric: str) -> float | None:
    summary = stats.get(client, {}).get(metric)
    return None if summary is None else float(summary["median"])


def ratio(
    stats: dict[str, dict[str, Any]], a: str, metric_a: str, b: str, metric_b: str | None = None
) -> float | None:
    top = median_of(stats, a, metric_a)
    bottom = median_of(stats, b, metric_b or metric_a)
    if top is None or bottom is None or bottom == 0:
        return None
    return top / bottom


# -- the table ------------------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def _cell(stats: dict[str, dict[str, Any]], client: str, metric: str) -> str:
    summary = stats[client].get(metric)
    if summary is None:
        return "–"
    text = f"{_number(summary['median'])} ({_number(summary['min'])}–{_number(summary['max'])})"
    baseline = BY_NAME[client].baseline
    if baseline != client:
        value = ratio(stats, client, metric, baseline)
        if value is not None:
            text += f" ×{value:.2f}"
    return text


def results_table(stats: dict[str, dict[str, Any]], runs: dict[str, dict[str, Any]]) -> str:
    header = ["client", "vs", *(title for _, title in METRICS)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for client in stats:
        run = runs[client]
        if run.get("status") != "ok":
            reason = run.get("reason", "")
            blank = [f"{run.get('status')}: {reason}"] + ["–"] * (len(METRICS) - 1)
            lines.append(f"| {client} | – | " + " | ".join(blank) + " |")
            continue
        baseline = BY_NAME[client].baseline
        cells = [_cell(stats, client, metric) for metric, _ in METRICS]
        versus = "–" if baseline == client else baseline
        lines.append(f"| {client} | {versus} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


SYNC = "pareta-sync"
ASYNC_TWINS = ("pareta-asyncio", "pareta-trio")


def paired_ratio(runs: dict[str, dict[str, Any]], a: str, b: str, metric: str) -> float | None:
    """The median over repetitions of ``a``'s value over ``b``'s in the same repetition.

    Clients next to each other in a repetition's order run within a minute of each other;
    on a shared machine whose load swings by 2x from one minute to the next, the ratio of
    such neighbours varies far less than either client's own values."""
    top = runs.get(a, {}).get("values", {}).get(metric, [])
    bottom = runs.get(b, {}).get("values", {}).get(metric, [])
    if not top or len(top) != len(bottom) or not all(bottom):
        return None
    return float(statistics.median(t / u for t, u in zip(top, bottom, strict=True)))


def twins_table(stats: dict[str, dict[str, Any]], runs: dict[str, dict[str, Any]]) -> str:
    """The async clients' CPU as a ratio of the sync client's, measured in the same run:
    the ratio of medians, then the median of the ratios within each repetition."""
    shown = [(metric, title) for metric, title in METRICS if metric != RSS]
    lines = [
        "| client | " + " | ".join(f"{title} ×{SYNC}" for _, title in shown) + " |",
        "|---|" + "---|" * len(shown),
    ]
    for client in ASYNC_TWINS:
        if client not in stats:
            continue
        cells = []
        for metric, _ in shown:
            value = ratio(stats, client, metric, SYNC)
            paired = paired_ratio(runs, client, SYNC, metric)
            cell = "–" if value is None else f"×{value:.2f}"
            cells.append(cell if paired is None else f"{cell} (paired ×{paired:.2f})")
        lines.append(f"| {client} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def imports_table(imports: dict[str, list[float]]) -> str:
    lines = ["| import | median ms | min–max ms | × httpx |", "|---|---|---|---|"]
    base = statistics.median(imports["httpx"]) if imports.get("httpx") else None
    for label, seconds in imports.items():
        if not seconds:
            continue
        median = statistics.median(seconds)
        versus = f"×{median / base:.2f}" if base else "–"
        lines.append(
            f"| {label} | {median * 1e3:.1f} | "
            f"{min(seconds) * 1e3:.1f}–{max(seconds) * 1e3:.1f} | {versus} |"
        )
    return "\n".join(lines)


# -- target checks --------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """``numerator / denominator`` (medians) compared with ``limit``."""

    label: str
    numerator: tuple[str, str]  # (client, metric)
    denominator: tuple[str, str]
    limit: float
    at_least: bool = False  # True: the ratio must be >= limit, else <= limit
    paired: bool = False  # True: the median of the ratios within each repetition


def _no_collapse(client: str) -> Check:
    return Check(
        f"{client}: 256 concurrent ≤ 1.5 × own sequential", (client, C256), (client, SEQ), 1.5
    )


CHECKS: tuple[Check, ...] = (
    *(
        Check(f"{p}: sequential ≤ 1.15 × {h}", (p, SEQ), (h, SEQ), 1.15)
        for p, h in (
            ("pareta-asyncio", "httpx-asyncio"),
            ("pareta-trio", "httpx-trio"),
            ("pareta-sync", "httpx-sync"),
        )
    ),
    # The async clients against their generated sync twin (256 threads at 256 concurrent).
    *(
        Check(
            f"{p}: {label} ≤ {limit:g} × {SYNC} (paired)",
            (p, metric),
            (SYNC, metric),
            limit,
            paired=True,
        )
        for p, label, metric, limit in (
            ("pareta-asyncio", "sequential", SEQ, 1.2),
            ("pareta-trio", "sequential", SEQ, 1.2),
            ("pareta-asyncio", "256 concurrent", C256, 1.1),
            ("pareta-trio", "256 concurrent", C256, 1.2),
        )
    ),
    _no_collapse("pareta-asyncio"),
    _no_collapse("pareta-trio"),
    _no_collapse("pareta-sync"),
    Check(
        "pareta-asyncio: 256 concurrent ≥ 8 × better than httpx-asyncio-default",
        ("httpx-asyncio-default", C256),
        ("pareta-asyncio", C256),
        8.0,
        at_least=True,
    ),
    Check(
        "pareta-aiohttp: sequential ≤ 3 × aiohttp", ("pareta-aiohttp", SEQ), ("aiohttp", SEQ), 3.0
    ),
    Check(
        "pareta-aiohttp: 256 concurrent ≤ 3 × aiohttp",
        ("pareta-aiohttp", C256),
        ("aiohttp", C256),
        3.0,
    ),
    *(
        Check(f"{p}: stream per chunk ≤ 1.3 × {h}", (p, STREAM), (h, STREAM), 1.3)
        for p, h in (
            ("pareta-asyncio", "httpx-asyncio"),
            ("pareta-trio", "httpx-trio"),
            ("pareta-sync", "httpx-sync"),
        )
    ),
    Check(
        "pareta-asyncio: stream per chunk ≤ 0.2 × openai",
        ("pareta-asyncio", STREAM),
        ("openai", STREAM),
        0.2,
    ),
    Check(
        "import pareta ≤ 1.2 × import httpx",
        ("import pareta", "import"),
        ("import httpx", "import"),
        1.2,
    ),
    *(
        Check(f"{p}: peak RSS at 256 concurrent ≤ 1.3 × {h}", (p, RSS), (h, RSS), 1.3)
        for p, h in (
            ("pareta-asyncio", "httpx-asyncio"),
            ("pareta-trio", "httpx-trio"),
            ("pareta-sync", "httpx-sync"),
        )
    ),
)


def evaluate(
    stats: dict[str, dict[str, Any]],
    runs: dict[str, dict[str, Any]],
    imports: dict[str, list[float]],
) -> list[dict[str, Any]]:
    """Every check as ``{label, status, value, limit}``; SKIP names what is missing."""
    # Import labels are module names ("aiohttp", "openai"...) that clash with client names.
    import_stats = {f"import {label}": {"import": summarize(s)} for label, s in imports.items()}
    merged = {**stats, **import_stats}
    outcomes = []
    for check in CHECKS:
        (a, metric_a), (b, metric_b) = check.numerator, check.denominator
        if check.paired:
            value = paired_ratio(runs, a, b, metric_a)
        else:
            value = ratio(merged, a, metric_a, b, metric_b)
        if value is None:
            missing = [
                name
                for name, metric in (check.numerator, check.denominator)
                if median_of(merged, name, metric) is None
            ]
            reasons = [runs.get(name, {}).get("reason") or "not measured" for name in missing]
            status = "SKIP"
            detail = "; ".join(f"{n}: {r}" for n, r in zip(missing, reasons, strict=True))
        else:
            passed = value >= check.limit if check.at_least else value <= check.limit
            status = "PASS" if passed else "FAIL"
            detail = f"{value:.3f} {'≥' if check.at_least else '≤'} {check.limit:g} wanted"
        outcomes.append({"label": check.label, "status": status, "value": value, "detail": detail})
    return outcomes


def checks_text(outcomes: list[dict[str, Any]]) -> str:
    return "\n".join(f"{o['status']}  {o['label']}  ({o['detail']})" for o in outcomes)
