"""``pareta batch``: one completion per row of a file, into a resumable results file.

Running the same command again resumes the job: rows already in the results file are
skipped, the rest are sent under the same idempotency keys, so nothing is billed twice.
Results go to the file, progress to stderr, the summary to stdout.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..._batch.file import FORMAT
from ..._batch.input import BadRow
from ..._batch.keys import RowKeys
from ..._batch.state import BatchStats
from ..._batch.summary import jsonl_identities, read_header, status_identity, summarize
from ..console import Output
from ..errors import EXIT_FAILURE, UsageError
from ..render import Records
from ..rows import RowsError, read_rows
from . import Subparsers
from .chat import options

if TYPE_CHECKING:
    from ... import Pareta

EXIT_NO_CREDIT = 3
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
        "results file; `pareta batch status RESULTS [ROWS]` summarises one"
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
        "rows",
        nargs="?",
        metavar="ROWS",
        help="for status only: the input file, to count its rows done, failed and not yet sent",
    )
    parser.add_argument(
        "--output", "-o", metavar="PATH", help="the results file (default: FILE.results.jsonl)"
    )
    parser.add_argument(
        "--key",
        metavar="FIELD",
        help="the field that identifies a row (default: the row's content, so editing, "
        "adding, removing or reordering rows re-sends only the rows that changed)",
    )
    parser.add_argument(
        "--job",
        metavar="NAME",
        help="the job's name, the start of every row's idempotency key (default: derived "
        "from the results file, and kept in it)",
    )
    parser.add_argument(
        "--max-in-flight",
        "--concurrency",
        dest="max_in_flight",
        type=int,
        default=256,
        help="requests in flight at most (default: 256)",
    )
    parser.add_argument(
        "--rate", default="auto", metavar="auto|N", help="requests a second, or auto (adapt)"
    )
    parser.add_argument("--max-tokens", type=int, metavar="N", help="sent with every row")
    parser.add_argument("--temperature", type=float, metavar="T", help="sent with every row")
    parser.set_defaults(handler=batch, offline=lambda args: args.endpoint_id == "status")


def batch(pa: Pareta | None, args: argparse.Namespace, out: Output) -> int:
    if pa is None:
        return status(Path(args.file), None if args.rows is None else Path(args.rows), out)
    if args.rows is not None:
        raise UsageError(f"unexpected {args.rows!r}: `pareta batch ENDPOINT FILE` takes one file")
    rate = parse_rate(args.rate)  # a usage error before any file is read
    source = Path(args.file)
    output = Path(args.output) if args.output else default_output(source)
    rows, total = rows_of(source)
    extra = {"model": args.endpoint_id, **options(args)}
    job = pa.batch(
        pa.chat.completions.create,
        rows,
        output=output,
        key=args.key,
        job=args.job,
        max_in_flight=args.max_in_flight,
        rate=rate,
    )
    # Rows are keyed by what the file holds; the request made of each adds the endpoint
    # and the options, which go into every key instead.
    job._shape = lambda row, index: request_of(row, index, args.key, extra)
    job._salt = json.dumps(extra, sort_keys=True)
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


def rows_of(source: Path) -> tuple[Any, int | None]:
    """The rows as the file holds them: a JSONL file's path (read a line at a time), or a
    CSV or JSON array's rows; and about how many there are."""
    if not source.is_file():
        raise RowsError(f"cannot read {source}: no such file")
    if source.suffix.lower() in (".csv", ".json"):
        rows = read_rows(str(source))
        return rows, len(rows)
    return source, count_lines(source)


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
    """Lines, for the progress bar: counted in blocks, a million in a fraction of a second."""
    count, last = 0, b"\n"
    with path.open("rb") as file:
        while block := file.read(1 << 22):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


def plural(count: int, noun: str) -> str:
    """``1 row``, ``2 rows``: never ``1 rows``."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


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
    show_failures(summary, out)
    out.line(
        f"{summary['answered']} answered, {summary['failed']} failed"
        f" ({stats.done} answered and {stats.skipped} already done in this run)"
        f" -> {output}"
    )
    if stats.stopped in STOPS:
        out.error(f"stopped: {STOPS[stats.stopped]}")
    return code


def show_failures(summary: dict[str, Any], out: Output) -> None:
    if summary["failures"]:
        table = Records(None, ["row", "error"], wrap=True)
        for row, error in summary["failures"]:
            table.add(row, error, style="red")
        out.show(table)


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


def status(path: Path, rows: Path | None, out: Output) -> int:
    summary = summarize(path, None if rows is None else identities(path, rows))
    if out.as_json:
        out.data(summary)
        return 0
    table = Records(None, ["", ""], wrap=True)
    for name in ("job", "method", "rows", "answered", "failed", "to_retry", "attempts"):
        table.add(name, f"{summary[name]:,}" if isinstance(summary[name], int) else summary[name])
    for kind, count in summary["errors"].items():
        table.add(f"  {kind}", f"{count:,}")
    if summary["garbled"]:
        table.add("garbled", f"{plural(summary['garbled'], 'line')} skipped (sent again)")
    if summary["runs"]:
        table.add("latest run", f"started {summary['started']} ({plural(summary['runs'], 'run')})")
    if summary["stopped"]:
        table.add("stopped", f"{summary['stopped']['reason']}: {summary['stopped']['detail']}")
    if "input" in summary:
        counts = summary["input"]
        table.add(
            str(rows),
            f"{plural(counts['rows'], 'row')}: {counts['answered']:,} answered, "
            f"{counts['failed']:,} failed, {counts['not_sent']:,} not yet sent",
        )
    out.show(table)
    show_failures(summary, out)
    return 0


def identities(results: Path, rows: Path) -> Iterator[int]:
    """The status identity of each row of an input file, keyed as its job keyed it."""
    header = read_header(results)
    if header.get("pareta_batch") != FORMAT:
        raise UsageError(f"{results} was written by an earlier pareta: give it alone")
    if not rows.is_file():
        raise RowsError(f"cannot read {rows}: no such file")
    key_field = header.get("key")
    if rows.suffix.lower() not in (".csv", ".json"):
        yield from jsonl_identities(rows, key_field)
        return
    keys = RowKeys("", "", key_field)
    for index, row in enumerate(read_rows(str(rows))):
        if key_field is None:
            yield status_identity(keys.of_value(row)[0])
        elif key_field in row:
            value = str(row[key_field])
            yield status_identity(value, keys.seen.count(hash(value)))
        else:
            yield status_identity(f"#{index}")


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
