"""``pareta evals``: eval sets from your files, eval runs, and the frontier roster."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from ..._exceptions import ParetaError
from ..._models import EvalRun
from ..chart import run_chart
from ..console import Output
from ..errors import UsageError
from ..plot import add_plot_option, check_plot, show, write_for_scripts
from ..progress import Stages, run_step
from ..render import Records, cell, eval_sets_table, fields_table, results_table, run_summary
from ..rows import read_rows
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
    create.add_argument("--task", required=True, metavar="TASK")
    create.add_argument("--name", metavar="NAME")
    upload = command(
        sets, "upload", upload_document, help="attach a document to a row", parents=parents
    )
    upload.add_argument("eval_set_id", metavar="SET_ID")
    upload.add_argument("file", metavar="FILE")
    upload.add_argument("--idx", type=int, required=True, metavar="I", help="0-based row index")
    upload.add_argument("--field", required=True, metavar="F", help="the row's document field")
    upload.add_argument("--mime", metavar="M", help="the MIME type (default: from the name)")
    command(sets, "list", list_sets, help="every eval set", parents=parents)
    for name, handler, text in (
        ("show", show_set, "one eval set"),
        ("delete", delete_set, "delete an eval set"),
    ):
        command(sets, name, handler, help=text, parents=parents).add_argument(
            "eval_set_id", metavar="SET_ID"
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
    create.add_argument("--name", metavar="NAME")
    create.add_argument("--wait", action="store_true", help="follow the run until it finishes")
    create.add_argument("--poll-interval", type=float, default=1.0, metavar="SECONDS")
    create.add_argument("--timeout", type=float, default=900.0, metavar="SECONDS")
    show_parser = command(
        runs, "show", show_run, help="an eval run and its results", parents=parents
    )
    show_parser.add_argument("run_id", metavar="RUN_ID")
    add_plot_option(show_parser)


def _frontier(text: str) -> str | list[str]:
    if text.strip().lower() in FRONTIER_KEYWORDS:
        return text.strip().lower()
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise argparse.ArgumentTypeError("expected benchmarked, all, none or frontier ids")
    return ids


def create_set(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    rows = read_rows(args.file)
    eval_set = pa.evals.sets.create(task=args.task, items=rows, name=args.name)
    if out.as_json:
        out.data(eval_set)
        return
    out.line(f"eval set {eval_set.id}: {eval_set.item_count} rows for {eval_set.task_id}")
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


def create_run(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    if args.eval_set and (args.task or args.file):
        raise UsageError("pass either --set SET_ID, or --task TASK with --file FILE, not both")
    if not args.eval_set and not (args.task and args.file):
        raise UsageError("pass --set SET_ID, or --task TASK with --file FILE")
    rows = read_rows(args.file) if args.file else None
    run = pa.evals.runs.create(
        eval_set=args.eval_set,
        task=args.task,
        items=rows,
        models=args.models,
        frontier=args.frontier,
        name=args.name,
    )
    if args.wait:
        run = follow_run(pa, run, out, poll_interval=args.poll_interval, timeout=args.timeout)
    _print_run(run, out)
    if not run.is_terminal and not out.as_json:
        out.line(f"follow it with: pareta evals runs show {run.id}")


def follow_run(
    pa: Pareta, run: EvalRun, out: Output, *, poll_interval: float, timeout: float
) -> EvalRun:
    """Poll ``run`` until it is terminal, with a progress bar (the SDK's ``wait`` has none)."""
    run_id = run.id or ""
    deadline = time.monotonic() + timeout
    with Stages(out, f"eval run {run_id}") as stages:
        while not run.is_terminal:
            if time.monotonic() >= deadline:
                raise ParetaError(
                    f"eval run {run_id} did not finish within {timeout:g}s; it keeps running: "
                    f"pareta evals runs show {run_id}"
                )
            time.sleep(poll_interval)
            run = pa.evals.runs.retrieve(run_id)
            stages.update(*run_step(run))
    return run


def show_run(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    check_plot(args.plot, out)
    _print_run(pa.evals.runs.retrieve(args.run_id), out, plot=args.plot)


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
