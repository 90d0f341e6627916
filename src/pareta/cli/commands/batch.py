"""``pareta batch``: many completions against one endpoint, with bounded concurrency."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..console import Output
from ..progress import Stages
from ..render import Records
from ..rows import RowsError, read_rows
from . import Subparsers
from .chat import options

if TYPE_CHECKING:
    from ... import ChatCompletion, Pareta

PREVIEW = 60


def register(sub: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    text = "run one completion per row of a file (JSONL, JSON array or CSV), many at a time"
    parser = sub.add_parser("batch", help=text, description=text, parents=parents)
    parser.add_argument("endpoint_id", metavar="ENDPOINT", help="an endpoint id, e.g. ep_a1b2c3")
    parser.add_argument(
        "file",
        metavar="FILE",
        help='rows with a "prompt" (or "input") text, or OpenAI "messages"',
    )
    parser.add_argument("--concurrency", type=int, default=64, metavar="N")
    parser.add_argument("--max-tokens", type=int, metavar="N")
    parser.add_argument("--temperature", type=float, metavar="T")
    parser.set_defaults(handler=batch)


def messages_of(row: dict[str, Any], number: int) -> list[dict[str, Any]]:
    if isinstance(row.get("messages"), list):
        return list(row["messages"])
    prompt = row.get("prompt", row.get("input"))
    if not isinstance(prompt, str):
        raise RowsError(f'row {number} needs a "prompt" (or "input") string, or "messages"')
    return [{"role": "user", "content": prompt}]


def batch(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    rows = read_rows(args.file)
    requests = [
        {"model": args.endpoint_id, "messages": messages_of(row, n), **options(args)}
        for n, row in enumerate(rows, start=1)
    ]
    # A live bar can move often; a log gets one line per tenth of the batch.
    step = max(1, len(requests) // (100 if out.interactive else 10))
    with Stages(out, f"{len(requests)} completions") as stages:

        def progress(done: int, total: int) -> None:
            if done % step == 0 or done == total:
                stages.update(100.0 * done / total, f"{done}/{total}")

        results = pa.chat.completions.create_many(
            requests, concurrency=args.concurrency, on_progress=progress
        )
    if out.as_json:
        out.data([_outcome(index, result) for index, result in enumerate(results)])
        return
    table = Records(None, ["#", "answer"], right=["#"], wrap=True)
    for index, result in enumerate(results):
        outcome = _outcome(index, result)
        if "error" in outcome:
            table.add(str(index), f"{outcome['error']}: {outcome['detail']}", style="red")
        else:
            table.add(str(index), _preview(outcome["content"]))
    out.show(table)
    failed = sum(1 for result in results if isinstance(result, Exception))
    out.line(f"{len(results) - failed} answered, {failed} failed")


def _outcome(index: int, result: ChatCompletion | Exception) -> dict[str, Any]:
    if isinstance(result, Exception):
        return {"index": index, "error": type(result).__name__, "detail": str(result)}
    message = result.choices[0].message if result.choices else None
    return {"index": index, "content": message.content if message else None, "id": result.id}


def _preview(content: str | None) -> str:
    text = " ".join((content or "").split())
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"
