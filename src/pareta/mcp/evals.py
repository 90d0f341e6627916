"""Tools for evaluating models on the user's rows: eval sets, and eval runs that report
progress while they are waited on and stop waiting when the client cancels."""

from __future__ import annotations

import uuid
from time import monotonic
from typing import TYPE_CHECKING, Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from pydantic import BaseModel, ConfigDict, Field

from .._baselines import parse_frontier, select_roster
from .._batch.input import BadRow, jsonl_lines
from .._exceptions import APIStatusError
from .backend import Backend
from .pricing import text_size
from .schemas import EvalRunOut, EvalSetOut
from .tooling import CREATE, READ, SPEND, tool

if TYPE_CHECKING:
    from .. import AsyncPareta, EvalRun


class Row(BaseModel):
    """One eval row: the task's input, and the output a perfect model gives."""

    model_config = ConfigDict(extra="allow")
    input: str | dict[str, Any] = Field(description="the task's input (see get_task)")
    expected: Any = Field(
        default=None, description="the expected output, in the task's output schema"
    )


Rows = Annotated[
    list[Row] | None, Field(description="rows given inline (or use rows_path)", min_length=1)
]
RowsPath = Annotated[
    str | None,
    Field(description="a JSONL file of rows (one object a line) on the server's machine"),
]
Frontier = Annotated[
    str | list[str] | None,
    Field(
        description='frontier baselines: "benchmarked" (the task\'s), "all", "none", '
        "or a list of ids from frontier_models"
    ),
]
RunId = Annotated[str, Field(min_length=1, description="an eval run id, e.g. run_456")]


def read_rows(path: str) -> list[dict[str, Any]]:
    """Eval rows from a JSONL file, one object a line; a bad line refuses the file."""
    rows = []
    for line in jsonl_lines(path):
        row = line.parse()
        if isinstance(row, BadRow):
            raise row.error
        if not isinstance(row, dict):
            raise ValueError(f"{path} line {line.number}: a row must be a JSON object")
        rows.append(row)
    if not rows:
        raise ValueError(f"{path} holds no rows")
    return rows


async def rows_of(rows: list[Row] | None, rows_path: str | None) -> list[dict[str, Any]]:
    if (rows is None) == (rows_path is None):
        raise ValueError("pass the rows inline (rows) or as a file (rows_path), exactly one")
    if rows is not None:
        return [row.model_dump(exclude_none=True) for row in rows]
    # Read on a worker thread: a big file must not stall the other sessions.
    return await anyio.to_thread.run_sync(read_rows, str(rows_path))


def run_hold(run_id: str | None) -> str:
    return f"run:{run_id}"


def reported_cost(run: EvalRun) -> int | None:
    """What the API says the run billed, or ``None`` when it says nothing."""
    data = run.to_dict()
    inner = data.get("run")
    value = (inner if isinstance(inner, dict) else data).get("cost_micro_usd")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def settle_run(backend: Backend, run: EvalRun) -> None:
    """Once a run this server started is over, count what it billed instead of its hold."""
    if run.is_terminal:
        backend.cap.settle(run_hold(run.id), reported_cost(run))


async def follow(
    backend: Backend, run_id: str, ctx: Context, seconds: float, poll_interval: float
) -> EvalRun:
    """Poll the run until it is over or ``seconds`` pass, reporting each poll as progress.

    A client's cancellation lands in the sleep between polls; the run itself goes on."""
    pa = backend.client()
    backend.waiting[run_id] = backend.waiting.get(run_id, 0) + 1
    try:
        deadline = monotonic() + seconds
        polls = 0
        while True:
            run = await pa.evals.runs.retrieve(run_id)
            settle_run(backend, run)
            polls += 1
            await ctx.report_progress(polls, None, f"eval run {run_id}: {run.status}")
            remaining = deadline - monotonic()
            if run.is_terminal or remaining <= 0:
                return run
            await anyio.sleep(min(poll_interval, remaining))
    finally:
        backend.waiting[run_id] -= 1
        if not backend.waiting[run_id]:
            del backend.waiting[run_id]


async def _estimate_source(
    pa: AsyncPareta,
    task_id: str | None,
    eval_set_id: str | None,
    rows: list[dict[str, Any]] | None,
) -> tuple[str, int, float | None]:
    """The task, the number of rows and their mean input size (unknown for a stored set)."""
    if eval_set_id is not None:
        if rows is not None:
            raise ValueError("pass eval_set_id or rows, not both")
        stored = await pa.evals.sets.retrieve(eval_set_id)
        if not stored.task_id:
            raise ValueError(f"eval set {eval_set_id} names no task")
        return stored.task_id, stored.item_count or 0, None
    if task_id is None or rows is None:
        raise ValueError("an eval run needs eval_set_id, or task_id with rows (or rows_path)")
    chars = sum(text_size(row.get("input")) for row in rows) / len(rows)
    return task_id, len(rows), chars


def register(app: MCPServer, backend: Backend) -> None:
    @tool(app, backend, title="Create an eval set", annotations=CREATE)
    async def eval_set_create(
        task_id: Annotated[str, Field(min_length=1)],
        rows: Rows = None,
        rows_path: RowsPath = None,
        name: str | None = None,
    ) -> EvalSetOut:
        """Store rows for a task as an eval set, to run evals on later by its id."""
        items = await rows_of(rows, rows_path)
        created = await backend.client().evals.sets.create(task=task_id, items=items, name=name)
        return EvalSetOut(
            id=created.id or "",
            task_id=created.task_id or task_id,
            name=created.name,
            item_count=created.item_count,
        )

    @tool(app, backend, title="Start an eval run (spends money)", annotations=SPEND)
    async def eval_run_start(
        ctx: Context,
        models: Annotated[list[str], Field(description="open models (leaderboard names)")],
        task_id: Annotated[str | None, Field(description="the task of the rows")] = None,
        rows: Rows = None,
        rows_path: RowsPath = None,
        eval_set_id: Annotated[str | None, Field(description="a stored set instead")] = None,
        frontier: Frontier = "benchmarked",
        name: str | None = None,
        wait: Annotated[bool, Field(description="wait for the results, with progress")] = True,
        timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 600,
        poll_interval_seconds: Annotated[float, Field(gt=0, le=60)] = 1.0,
    ) -> EvalRunOut:
        """Score open models (and frontier baselines) on the user's rows: quality with 95%
        intervals and cost per item, for each model. Metered: the estimate is held against
        the spending cap before the run is sent, and refused if it does not fit."""
        pa = backend.client()
        items = None if rows is None and rows_path is None else await rows_of(rows, rows_path)
        task, count, chars = await _estimate_source(pa, task_id, eval_set_id, items)
        baselines = parse_frontier(frontier)
        if isinstance(baselines, str):
            baselines = select_roster(await pa.evals.frontier_models(task=task), baselines)
        candidates = list(models) + [b for b in baselines if b not in models]
        if not candidates:
            raise ValueError("nothing to evaluate: name models, or frontier baselines, or both")
        if chars is None:
            chars = await backend.pricing.typical_chars(pa, task)
        estimate = await backend.pricing.eval_run(pa, task, candidates, count, chars)
        hold = f"run-start:{uuid.uuid4().hex}"
        backend.cap.hold(hold, f"an eval run of {len(candidates)} models on {count} rows", estimate)
        try:
            run = await pa.evals.runs.create(
                eval_set=eval_set_id,
                task=None if eval_set_id else task,
                items=items,
                models=list(models),
                frontier=[b for b in baselines if b not in models],
                name=name,
            )
        except (APIStatusError, ValueError, TypeError):
            backend.cap.settle(hold, 0)  # refused, by the API or before sending: nothing billed
            raise
        except BaseException:
            backend.cap.settle(hold, None)  # it may have started: count the estimate
            raise
        backend.cap.rename(hold, run_hold(run.id))
        if wait:
            # An id the server left out reads None; "" fails the next call's pre-flight check.
            run_id = run.id or ""
            run = await follow(backend, run_id, ctx, timeout_seconds, poll_interval_seconds)
        return EvalRunOut.of(run)

    @tool(app, backend, title="Read an eval run", annotations=READ)
    async def eval_run_get(run_id: RunId) -> EvalRunOut:
        """An eval run's status, and once completed its results and what it billed."""
        run = await backend.client().evals.runs.retrieve(run_id)
        settle_run(backend, run)
        return EvalRunOut.of(run)

    @tool(app, backend, title="Wait for an eval run", annotations=READ)
    async def eval_run_wait(
        ctx: Context,
        run_id: RunId,
        timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 600,
        poll_interval_seconds: Annotated[float, Field(gt=0, le=60)] = 1.0,
    ) -> EvalRunOut:
        """Wait until an eval run completes (progress is reported on each poll) or the
        timeout passes; then its results. Cancelling stops the wait, not the run."""
        return EvalRunOut.of(
            await follow(backend, run_id, ctx, timeout_seconds, poll_interval_seconds)
        )
