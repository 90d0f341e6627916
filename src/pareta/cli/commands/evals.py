"""``pareta evals``: eval sets from your files, eval runs, and the frontier roster."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from ..._exceptions import printable
from ..._objects.rankings import EvalRun
from ..chart import run_chart
from ..console import Output
from ..errors import EXIT_RUN_FAILED, EXIT_RUN_TIMEOUT, UsageError
from ..plot import add_plot_option, check_plot, show, write_for_scripts
from ..progress import Stages, run_step
from ..render import Records, cell, eval_sets_table, fields_table, results_table, run_summary
from ..rows import RowsError, plural, read_rows
from . import Subparsers, command, group

if TYPE_CHECKING:
    from ... import Pareta

FRONTIER_KEYWORDS = ("none", "all", "benchmarked")


def register(sub: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    evals = group(sub, "evals", help="evaluate models on your own data")
    _register_sets(group(evals, "sets", help="eval sets: your rows bound to a task"), parents)
    _register_runs(group(evals, "runs", help="eval runs: score models on a set"), parents)
    roster = command(
        evals, "frontier", list_frontier, help="the frontier baselines", parents=parents
    )
    roster.add_argument("--task", metavar="TASK", help="annotate and filter for this task")


def _register_sets(sets: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    create = command(
        sets, "create", create_set, help="an eval set from a JSONL or CSV file", parents=parents
    )
    create.add_argument("file", metavar="FILE", help="rows as JSONL, a JSON array, or CSV")
    create.add_argument("--task", required=True, metavar="TASK", help="the task the rows are for")
    create.add_argument("--name", metavar="NAME", help="a label for the set")
    add_check_option(create)
    upload = command(
        sets, "upload", upload_document, help="attach a document to a row", parents=parents
    )
    upload.add_argument("eval_set_id", metavar="SET_ID", help="the eval set")
    upload.add_argument("file", metavar="FILE", help="the document (PDF, image)")
    upload.add_argument("--idx", type=int, required=True, metavar="I", help="0-based row index")
    upload.add_argument("--field", required=True, metavar="F", help="the row's document field")
    upload.add_argument("--mime", metavar="M", help="the MIME type (default: from the name)")
    command(sets, "list", list_sets, help="every eval set", parents=parents)
    for name, handler, text in (
        ("show", show_set, "one eval set"),
        ("delete", delete_set, "delete an eval set"),
    ):
        command(sets, name, handler, help=text, parents=parents).add_argument(
            "eval_set_id", metavar="SET_ID", help="an eval set id"
        )


def _register_runs(runs: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    create = command(
        runs, "create", create_run, help="score models on an eval set", parents=parents
    )
    create.add_argument("--set", dest="eval_set", metavar="SET_ID", help="an existing eval set")
    create.add_argument("--task", metavar="TASK", help="with --file: create the set inline")
    create.add_argument("--file", metavar="FILE", help="with --task: rows as JSONL or CSV")
    create.add_argument(
        "--model",
        dest="models",
        action="append",
        required=True,
        metavar="MODEL",
        help="an open candidate alias (repeatable)",
    )
    create.add_argument(
        "--frontier",
        default="none",
        type=_frontier,
        metavar="WHICH",
        help="benchmarked, all, none (default) or a comma-separated list of frontier ids",
    )
    create.add_argument("--name", metavar="NAME", help="a label for the run (and its set)")
    add_check_option(create)
    create.add_argument(
        "--wait",
        action="store_true",
        help=f"follow the run until it finishes; exit {EXIT_RUN_FAILED} if it failed, "
        f"{EXIT_RUN_TIMEOUT} if it is still running at --timeout",
    )
    create.add_argument(
        "--poll-interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="with --wait: seconds between two looks at the run (default: %(default)s)",
    )
    create.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="with --wait: stop following after this long (default: %(default)s)",
    )
    show_parser = command(
        runs, "show", show_run, help="an eval run and its results", parents=parents
    )
    show_parser.add_argument("run_id", metavar="RUN_ID", help="an eval run id")
    add_plot_option(show_parser)


def add_check_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-check",
        dest="check",
        action="store_false",
        help="send the rows even if they do not fit the task's input_schema",
    )


def _checked_rows(pa: Pareta, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The file's rows, checked against the task before anything is created or billed."""
    rows = read_rows(args.file)
    if args.check:
        try:
            pa.evals.sets.check_items(args.task, rows)
        except ValueError as exc:
            raise RowsError(f"{args.file}: {exc}") from None
    return rows


def _frontier(text: str) -> str | list[str]:
    if text.strip().lower() in FRONTIER_KEYWORDS:
        return text.strip().lower()
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise argparse.ArgumentTypeError("expected benchmarked, all, none or frontier ids")
    return ids


def create_set(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    rows = _checked_rows(pa, args)
    eval_set = pa.evals.sets.create(task=args.task, items=rows, name=args.name, check_items=False)
    if out.as_json:
        out.data(eval_set)
        return
    count = plural(eval_set.item_count or 0, "row")
    out.line(f"eval set {eval_set.id}: {count} for {eval_set.task_id}")
    out.line(f"score models on it: pareta evals runs create --set {eval_set.id} --model MODEL")


def upload_document(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    answer = pa.evals.sets.upload_document(
        args.eval_set_id, args.file, idx=args.idx, field_name=args.field, mime=args.mime
    )
    if out.as_json:
        out.data(answer)
        return
    out.line(f"attached {args.file} to row {args.idx} ({args.field}) of {args.eval_set_id}")


def list_sets(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    sets = pa.evals.sets.list()
    if out.as_json:
        out.data(sets)
        return
    out.show(eval_sets_table(sets))


def show_set(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    eval_set = pa.evals.sets.retrieve(args.eval_set_id)
    if out.as_json:
        out.data(eval_set)
        return
    out.show(fields_table(f"Eval set {eval_set.id}", eval_set.to_dict()))


def delete_set(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    pa.evals.sets.delete(args.eval_set_id)
    if out.as_json:
        out.data({"id": args.eval_set_id, "deleted": True})
    else:
        out.line(f"eval set {args.eval_set_id} deleted")


def create_run(pa: Pareta, args: argparse.Namespace, out: Output) -> int:
    if args.eval_set and (args.task or args.file):
        raise UsageError("pass either --set SET_ID, or --task TASK with --file FILE, not both")
    if not args.eval_set and not (args.task and args.file):
        raise UsageError("pass --set SET_ID, or --task TASK with --file FILE")
    rows = _checked_rows(pa, args) if args.file else None
    run = pa.evals.runs.create(
        eval_set=args.eval_set,
        task=args.task,
        items=rows,
        models=args.models,
        frontier=args.frontier,
        name=args.name,
        check_items=False,
    )
    timed_out = False
    if args.wait:
        run, timed_out = follow_run(
            pa, run, out, poll_interval=args.poll_interval, timeout=args.timeout
        )
    _print_run(run, out)
    if timed_out:
        out.error(
            f"eval run {run.id} did not finish within {args.timeout:g}s; it keeps running: "
            f"pareta evals runs show {run.id}"
        )
        return EXIT_RUN_TIMEOUT
    if not run.is_terminal and not out.as_json:
        out.line(f"follow it with: pareta evals runs show {run.id}")
    return _run_status(run, out)


def follow_run(
    pa: Pareta, run: EvalRun, out: Output, *, poll_interval: float, timeout: float
) -> tuple[EvalRun, bool]:
    """Poll ``run`` until it is terminal, with a progress bar (the SDK's ``wait`` has none);
    the last state read, and whether ``timeout`` passed first."""
    run_id = run.id or ""
    deadline = time.monotonic() + timeout
    with Stages(out, f"eval run {run_id}") as stages:
        while not run.is_terminal:
            if time.monotonic() >= deadline:
                return run, True
            time.sleep(poll_interval)
            run = pa.evals.runs.retrieve(run_id)
            stages.update(*run_step(run))
    return run, False


def _run_status(run: EvalRun, out: Output) -> int:
    """0, or ``EXIT_RUN_FAILED`` (saying why on stderr) for a run that failed."""
    if run.status != "failed":
        return 0
    if not out.as_json:
        out.error(f"eval run {run.id} failed: {printable(run.error_detail or 'no detail given')}")
    return EXIT_RUN_FAILED


def show_run(pa: Pareta, args: argparse.Namespace, out: Output) -> int:
    check_plot(args.plot, out)
    run = pa.evals.runs.retrieve(args.run_id)
    _print_run(run, out, plot=args.plot)
    return _run_status(run, out)


def _print_run(run: EvalRun, out: Output, *, plot: str | None = None) -> None:
    if out.as_json:
        write_for_scripts(out, plot, lambda: run_chart(run))
        out.data(run)
        return
    out.show(run_summary(run))
    if run.results:
        show(out, plot, results_table(run), lambda: run_chart(run))


def list_frontier(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    roster = pa.evals.frontier_models(task=args.task)
    if out.as_json:
        out.data(roster)
        return
    grid = Records("Frontier models", ["model", "vendor", "vision", "benchmarked"])
    for model in roster:
        grid.add(cell(model.id), cell(model.vendor), cell(model.vision), cell(model.benchmarked))
    out.show(grid)
