"""Tables and formats shared by the commands and the demo.

Every listing is a ``Records``: a rich table when it fits the terminal, and one block
per row when it does not, so a 40-column terminal still reads cleanly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from rich import box
from rich.console import Console, ConsoleOptions, JustifyMethod, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from .._money import MICRO_USD_PER_USD
from .._objects.models import Endpoint, EvalSet, Task, TaskMatch
from .._objects.pareto import savings
from .._objects.rankings import EvalRun, Leaderboard, best_open, frontier_baseline

NONE = "-"
UNBOUNDED = 10_000
# Fields holding Unix times: shown as UTC dates, not as 1.796e+09.
TIME_FIELDS = ("created", "created_at", "completed_at", "window_start", "window_end", "at")


def dollars(micro_usd: float | None, *, places: int = 6) -> str:
    """A sub-cent unit rate in dollars: 850 micro-USD reads ``$0.000850``."""
    if micro_usd is None:
        return NONE
    return f"${micro_usd / MICRO_USD_PER_USD:.{places}f}"


def score(value: float | None) -> str:
    return NONE if value is None else f"{value:.3f}"


def interval(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return NONE
    return f"[{low:.3f}, {high:.3f}]"


def percent(fraction: float | None) -> str:
    return NONE if fraction is None else f"{fraction:.0%}"


def cell(value: Any) -> str:
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class Records:
    """Rows under named columns, laid out for the width at hand.

    A table when its rows fit on one line each (or, with ``wrap``, when its cells can wrap
    at spaces to fit); else one block per row. A cell is never cut short or split inside a
    word, because the ids in them are meant to be copied.
    """

    def __init__(
        self,
        title: str | None,
        columns: Sequence[str],
        *,
        right: Sequence[str] = (),
        wrap: bool = False,
    ) -> None:
        self.title = title
        self.columns = list(columns)
        self.right = set(right)
        self.wrap = wrap
        self.rows: list[tuple[list[str], str | None]] = []

    def add(self, *values: str, style: str | None = None) -> None:
        self.rows.append((list(values), style))

    def _table(self) -> Table:
        grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
        for name in self.columns:
            justify: JustifyMethod = "right" if name in self.right else "left"
            grid.add_column(name, justify=justify, overflow="fold")
        for values, style in self.rows:
            grid.add_row(*values, style=style)
        return grid

    def _stacked(self) -> Iterator[Text]:
        if len(self.columns) == 2:
            for (name, value), _ in self.rows:
                yield Text(f"{name}: {value}")
            return
        for values, _ in self.rows:
            yield Text(f"- {values[0]}", style="bold")
            for name, value in zip(self.columns[1:], values[1:], strict=True):
                yield Text(f"    {name}: {value}")

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # The title is a line of its own: as a table title it would wrap to the table's width.
        if self.title:
            yield Text(self.title, style="bold")
        if not self.rows:
            yield Text("  (none)")
            return
        grid = self._table()
        width = Measurement.get(console, options.update(max_width=UNBOUNDED), grid)
        if (width.minimum if self.wrap else width.maximum) <= options.max_width:
            yield grid
        else:
            yield from self._stacked()


def tasks_table(tasks: Iterable[Task]) -> Records:
    grid = Records("Tasks", ["task", "scorer", "input"])
    for task in tasks:
        kind = "document" if task.has_blob_input else "text"
        grid.add(cell(task.id), cell(task.default_scorer), kind)
    return grid


def fields_table(title: str, data: Mapping[str, Any], *, skip: Sequence[str] = ()) -> Records:
    """Any record as field/value pairs; nested dicts flatten to dotted names."""
    grid = Records(title, ["field", "value"], wrap=True)
    for key, value in _flatten(data):
        if key.split(".")[0] not in skip:
            grid.add(key, _value_for(key, value))
    return grid


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            yield from _flatten(value, f"{name}.")
        else:
            yield name, value


def _value_for(key: str, value: Any) -> str:
    if key.rsplit(".", 1)[-1] in TIME_FIELDS and isinstance(value, (int, float)) and value > 0:
        moment = datetime.fromtimestamp(value, tz=timezone.utc)
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    if key.endswith("micro_usd") and isinstance(value, (int, float)):
        return f"{dollars(value)} ({value} micro-USD)"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return f"{len(value)} {'entry' if len(value) == 1 else 'entries'}"
    return cell(value)


def match_table(match: TaskMatch) -> Records:
    chosen = match.chosen.task_id if match.chosen else None
    grid = Records(
        f"Tasks matching {match.query!r}", ["task", "score", "confidence"], right=["score"]
    )
    for candidate in match.candidates:
        style = "bold green" if candidate.task_id == chosen else None
        grid.add(
            cell(candidate.task_id), score(candidate.score), cell(candidate.confidence), style=style
        )
    return grid


def leaderboard_table(board: Leaderboard, *, limit: int | None = None) -> Records:
    """The open models (the top ``limit`` of them), then the frontier baseline."""
    title = f"Leaderboard: {board.task_id}, recommended: {board.recommended or NONE}"
    columns = ["model", "kind", "quality", "$/request", "context"]
    grid = Records(title, columns, right=columns[2:])
    entries = board.models[:limit]
    if board.frontier is not None and board.frontier.name not in {e.name for e in entries}:
        entries.append(board.frontier)
    for entry in entries:
        grid.add(
            cell(entry.name),
            cell(entry.kind),
            score(entry.quality),
            dollars(entry.cost_per_request_micro_usd),
            NONE if entry.context_k is None else f"{entry.context_k}k",
            style="bold" if entry.name == board.recommended else None,
        )
    return grid


def endpoints_table(endpoints: Iterable[Endpoint]) -> Records:
    # No url column: it is the server's own /v1 for every live endpoint (`show` has it).
    grid = Records("Endpoints", ["endpoint", "task", "model", "status"])
    for ep in endpoints:
        style = "green" if ep.is_live else None
        grid.add(cell(ep.id), cell(ep.task), cell(ep.model), cell(ep.status), style=style)
    return grid


def eval_sets_table(sets: Iterable[EvalSet]) -> Records:
    grid = Records("Eval sets", ["eval set", "task", "name", "items", "scoring"], right=["items"])
    for es in sets:
        grid.add(
            cell(es.id),
            cell(es.task_id),
            cell(es.name),
            cell(es.item_count),
            cell(es.scoring_strategy),
        )
    return grid


def results_table(run: EvalRun) -> Records:
    """Per-model results, best first; ``saves`` is an open model's cost cut against the
    best frontier baseline of the run."""
    columns = ["model", "kind", "quality", "95% CI", "$/item", "saves", "ok/err"]
    grid = Records(f"Eval run {run.id}: {run.status}", columns, right=columns[2:])
    baseline = frontier_baseline(run.results)
    winner = best_open(run.results)
    base_cost = baseline.mean_cost_micro_usd if baseline else None
    for r in sorted(run.results, key=lambda r: r.quality_mean or 0.0, reverse=True):
        saved = savings(r.mean_cost_micro_usd, base_cost) if r.kind == "open" else None
        grid.add(
            cell(r.model_id),
            cell(r.kind),
            score(r.quality_mean),
            interval(r.quality_ci_low, r.quality_ci_high),
            dollars(r.mean_cost_micro_usd),
            percent(saved),
            f"{cell(r.n_succeeded)}/{cell(r.error_count)}",
            style="bold green" if r is winner else None,
        )
    return grid


def run_summary(run: EvalRun) -> Text:
    text = Text(f"run {run.id} on eval set {run.eval_set_id or NONE}: {run.status}")
    text.append(f"; billed ${run.cost} ({run.cost_micro_usd} micro-USD)")
    if run.error_detail:
        text.append(f"\nerror: {run.error_detail}", style="red")
    return text
