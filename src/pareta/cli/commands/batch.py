"""``pareta batch``: one completion per row of a file, into a resumable results file.

Running the same command again resumes the job: rows already in the results file are
skipped, the rest are sent under the same idempotency keys, so nothing is billed twice.
Results go to the file, progress to stderr, the summary to stdout.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..._batch.file import read_lines, summarize
from ..._batch.input import BadRow, jsonl_lines
from ..._batch.keys import default_job
from ..._batch.state import BatchStats
from ..console import Output
from ..errors import EXIT_FAILURE, UsageError
from ..render import Records
from ..rows import RowsError, read_rows
from . import Subparsers
from .chat import options

if TYPE_CHECKING:
    from ... import Pareta

EXIT_NO_CREDIT = 3
SHOWN_FAILURES = 10
STOPS = {
    "insufficient_credits": "the org balance ran out (402): top it up, then run the same "
    "command again to resume",
    "unauthorized": "the server refused the key (401/403) for every row: check "
    "PARETA_API_KEY, then run the same command again to resume",
    "not_found": "the first rows all answered 404: check the endpoint id",
}


def register(sub: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    text = (
        "run one completion per row of a file (JSONL, JSON array or CSV) into a resumable "
        "results file; `pareta batch status RESULTS` summarises one"
    )
    parser = sub.add_parser("batch", help=text, description=text, parents=parents)
    parser.add_argument(
        "endpoint_id", metavar="ENDPOINT", help="an endpoint id, e.g. ep_a1b2c3 (or: status)"
    )
    parser.add_argument(
        "file",
        metavar="FILE",
        help='rows with a "prompt" (or "input") text, or OpenAI "messages"; '
        "for status: a results file",
    )
    parser.add_argument(
        "--output", "-o", metavar="PATH", help="the results file (default: FILE.results.jsonl)"
    )
    parser.add_argument("--key", metavar="FIELD", help="the field that identifies a row")
    parser.add_argument(
        "--max-in-flight", "--concurrency", dest="max_in_flight", type=int, default=256
    )
    parser.add_argument(
        "--rate", default="auto", metavar="auto|N", help="requests a second, or auto (adapt)"
    )
    parser.add_argument("--max-tokens", type=int, metavar="N")
    parser.add_argument("--temperature", type=float, metavar="T")
    parser.set_defaults(handler=batch, offline=lambda args: args.endpoint_id == "status")


def batch(pa: Pareta | None, args: argparse.Namespace, out: Output) -> int:
    if pa is None:
        return status(Path(args.file), out)
    rate = parse_rate(args.rate)  # a usage error before any file is read
    source = Path(args.file)
    output = Path(args.output) if args.output else default_output(source)
    rows, total = requests_of(source, args)
    job = pa.batch(
        pa.chat.completions.create,
        rows,
        output=output,
        key=args.key,
        job=default_job("chat.completions.create", source, None),
        max_in_flight=args.max_in_flight,
        rate=rate,
    )
    with Bar(out, total) as bar:
        with job:
            for _ in job:
                bar.update(job.stats)
        bar.update(job.stats)
    return report(job.stats, output, out)


def default_output(source: Path) -> Path:
    return source.with_name(source.stem + ".results.jsonl")


def parse_rate(text: str) -> float | str:
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"--rate takes auto or requests a second, not {text!r}") from None


def requests_of(source: Path, args: argparse.Namespace) -> tuple[Iterator[object], int | None]:
    """The rows as create() arguments, read lazily from a JSONL file; and how many."""
    if not source.is_file():
        raise RowsError(f"cannot read {source}: no such file")
    extra = {"model": args.endpoint_id, **options(args)}
    if source.suffix.lower() in (".csv", ".json"):
        rows: Any = read_rows(str(source))
        return (request_of(row, n, args.key, extra) for n, row in enumerate(rows)), len(rows)
    total = count_lines(source)
    lines = enumerate(jsonl_lines(source))
    return (request_of(line.parse(), n, args.key, extra) for n, line in lines), total


def request_of(row: object, index: int, key: str | None, extra: dict[str, Any]) -> object:
    if isinstance(row, BadRow):
        return row
    if not isinstance(row, dict):
        return BadRow(ValueError(f"row {index} is not a JSON object"))
    if isinstance(row.get("messages"), list):
        messages = list(row["messages"])
    elif isinstance(row.get("prompt", row.get("input")), str):
        messages = [{"role": "user", "content": row.get("prompt", row.get("input"))}]
    else:
        return BadRow(
            ValueError(f'row {index} needs a "prompt" (or "input") string, or "messages"')
        )
    request = {"messages": messages, **extra}
    if key is not None and key in row:
        request[key] = row[key]
    return request


def count_lines(path: Path) -> int:
    with path.open("rb") as file:
        return sum(1 for line in file if line.strip())


def report(stats: BatchStats, output: Path, out: Output) -> int:
    summary = summarize(output)
    code = 0 if summary["failed"] == 0 else EXIT_FAILURE
    if stats.stopped == "insufficient_credits":
        code = EXIT_NO_CREDIT
    elif stats.stopped in STOPS:
        code = EXIT_FAILURE
    if out.as_json:
        out.data({**summary, "output": str(output), "this_run": _run_of(stats)})
        return code
    failures = failed_rows(output)
    if failures:
        table = Records(None, ["row", "error"], wrap=True)
        for row, error in failures:
            table.add(row, error, style="red")
        out.show(table)
    out.line(
        f"{summary['answered']} answered, {summary['failed']} failed"
        f" ({stats.done} answered and {stats.skipped} already done in this run)"
        f" -> {output}"
    )
    if stats.stopped in STOPS:
        out.error(f"stopped: {STOPS[stats.stopped]}")
    return code


def failed_rows(output: Path) -> list[tuple[str, str]]:
    latest: dict[str, str | None] = {}
    for line in read_lines(output):
        if "key" in line:
            error = line.get("error")
            latest[str(line["key"])] = (
                None if error is None else f"{error.get('type')}: {error.get('message')}"
            )
    failed = [(key, error) for key, error in latest.items() if error is not None]
    return failed[:SHOWN_FAILURES]


def _run_of(stats: BatchStats) -> dict[str, Any]:
    return {
        "answered": stats.done,
        "failed": stats.failed,
        "skipped": stats.skipped,
        "attempts": stats.attempts,
        "throttled": stats.throttled,
        "replays": stats.replays,
        "billed_micro_usd": stats.billed_micro_usd,
        "stopped": stats.stopped,
    }


def status(path: Path, out: Output) -> int:
    summary = summarize(path)
    if out.as_json:
        out.data(summary)
        return 0
    table = Records(None, ["", ""], wrap=True)
    for name in ("job", "method", "rows", "answered", "failed", "to_retry", "attempts"):
        table.add(name, str(summary[name]))
    for kind, count in summary["errors"].items():
        table.add(f"  {kind}", str(count))
    if summary["stopped"]:
        table.add("stopped", f"{summary['stopped']['reason']}: {summary['stopped']['detail']}")
    out.show(table)
    return 0


class Bar:
    """Progress on stderr: a live bar on a terminal, a line per tenth elsewhere."""

    def __init__(self, out: Output, total: int | None) -> None:
        self.out = out
        self.total = total
        self._progress: Any = None
        self._task: Any = None
        self._shown = 0

    def __enter__(self) -> Bar:
        if self.out.errors.is_terminal and not self.out.as_json:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TextColumn("{task.fields[detail]}"),
                TimeRemainingColumn(),
                console=self.out.errors,
            )
            self._progress.start()
            self._task = self._progress.add_task("batch", total=self.total, detail="")
        return self

    def update(self, stats: BatchStats) -> None:
        detail = (
            f"{stats.rows_per_second:.0f} rows/s  {stats.throttled} × 429  "
            f"${stats.billed_micro_usd / 1_000_000:.2f}"
        )
        if self._progress is not None:
            self._progress.update(
                self._task, completed=stats.finished + stats.skipped, detail=detail
            )
            return
        if self.out.as_json or not self.total:
            return
        tenth = (stats.finished + stats.skipped) * 10 // self.total
        if tenth > self._shown:
            self._shown = tenth
            self.out.hint(f"batch: {stats.finished + stats.skipped}/{self.total}  {detail}")

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()
