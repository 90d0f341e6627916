"""``pareta tasks``: the benchmark catalog, the intent matcher, and leaderboards."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from rich.text import Text

from ..chart import leaderboard_chart
from ..console import Output
from ..plot import add_plot_option, check_plot, show, write_for_scripts
from ..render import fields_table, leaderboard_table, match_table, score, tasks_table
from . import Subparsers, command, group

if TYPE_CHECKING:
    from ... import Pareta


def register(sub: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    actions = group(sub, "tasks", help="the benchmark catalog: list, show, match, leaderboard")
    command(actions, "list", list_tasks, help="every task in the catalog", parents=parents)
    show = command(actions, "show", show_task, help="one task's schema", parents=parents)
    show.add_argument("task_id", metavar="TASK", help="a task id, e.g. contract-key-fields")
    show.add_argument("--examples", type=int, metavar="N", help="also show N sample rows")
    match = command(
        actions, "match", match_tasks, help="rank tasks against a description", parents=parents
    )
    match.add_argument("query", metavar="QUERY", help='e.g. "extract key fields from contracts"')
    match.add_argument(
        "--top-k", type=int, default=5, metavar="K", help="how many tasks to rank (default: 5)"
    )
    board = command(
        actions, "leaderboard", show_leaderboard, help="models ranked on a task", parents=parents
    )
    board.add_argument("task_id", metavar="TASK", help="a task id, e.g. contract-key-fields")
    add_plot_option(board)


def list_tasks(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    tasks = pa.tasks.list()
    if out.as_json:
        out.data(tasks)
        return
    out.show(tasks_table(tasks))


def show_task(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    task = pa.tasks.retrieve(args.task_id, examples_n=args.examples)
    if out.as_json:
        out.data(task)
        return
    out.show(fields_table(f"Task {task.id}", task.to_dict(), skip=["examples"]))
    examples = task.get("examples")
    if isinstance(examples, list) and examples:
        out.line(f"Examples ({len(examples)}):", style="bold")
        for example in examples:
            out.line(json.dumps(example, ensure_ascii=False))


def match_tasks(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    match = pa.tasks.match(args.query, top_k=args.top_k)
    if out.as_json:
        out.data(match)
        return
    out.show(match_table(match))
    if match.matched and match.chosen:
        chosen = match.chosen
        out.show(
            Text.assemble(
                "matched ",
                (str(chosen.task_id), "bold green"),
                f" (score {score(chosen.score)}, {chosen.confidence} confidence,"
                f" via {match.matcher})",
            )
        )
    else:
        out.line("no confident match: pick a task above, or describe the job differently")
    if match.ambiguous:
        out.line("the top candidates scored close together: check which task fits")


def show_leaderboard(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    check_plot(args.plot, out)
    board = pa.tasks.leaderboard(args.task_id)
    if out.as_json:
        write_for_scripts(out, args.plot, lambda: leaderboard_chart(board))
        out.data(board)
        return
    show(out, args.plot, leaderboard_table(board), lambda: leaderboard_chart(board))
    if board.recommended:
        out.line(f"deploy the recommended pick: pareta endpoints deploy --task {board.task_id}")
