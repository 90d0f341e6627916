"""Batch tools: one chat completion per row of a JSONL file, run in the background into a
resumable results file, and its status read from that file."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import MCPServer
from pydantic import Field

from .backend import Backend, BatchRun
from .errors import describe, message, scrub
from .pricing import messages_size
from .schemas import BatchOut
from .tooling import READ_LOCAL, SPEND, tool


def _summarize(path: str) -> dict[str, Any]:
    # The batch engine's own reading of a results file (the same as `pareta batch status`).
    from .._batch.summary import summarize

    return summarize(path)


def absolute(path: str | os.PathLike[str]) -> str:
    """A results file's one name, whatever form of its path a call used."""
    return os.path.abspath(path)


def messages_of(row: object, where: str) -> list[Any]:
    """A row's chat messages: its ``messages``, or its ``prompt`` (or ``input``) text."""
    if not isinstance(row, dict):
        raise ValueError(f"{where}: a row must be a JSON object")
    if isinstance(row.get("messages"), list):
        return list(row["messages"])
    text = row.get("prompt", row.get("input"))
    if isinstance(text, str):
        return [{"role": "user", "content": text}]
    raise ValueError(f'{where}: a row needs a "prompt" (or "input") string, or "messages"')


def scan(path: Path) -> tuple[int, int]:
    """Check every row of a JSONL file before anything is sent; its row count and the
    characters of its messages. A bad line refuses the whole job, naming the line."""
    rows = chars = 0
    with path.open("rb") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            where = f"{path} line {number}"
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{where} is not JSON: {exc}") from None
            chars += messages_size(messages_of(row, where))
            rows += 1
    if not rows:
        raise ValueError(f"{path} holds no rows")
    return rows, chars


def requests(path: Path, extra: dict[str, Any], key: str | None) -> Iterator[dict[str, Any]]:
    """The rows as ``chat.completions.create`` arguments, read a line at a time."""
    with path.open("rb") as file:
        for number, line in enumerate(file, start=1):
            if line.strip():
                row = json.loads(line)
                request = {"messages": messages_of(row, f"{path} line {number}"), **extra}
                if key is not None and key in row:
                    request[key] = row[key]
                yield request


async def _run(backend: Backend, run: BatchRun) -> None:
    try:
        await run.job.wait()
    except Exception as exc:
        run.error = scrub(message(describe(exc)), backend.key())
    finally:
        stats = run.job.stats
        billed = stats.billed_micro_usd
        # Rows answered with no cost reported: the estimate stays counted.
        backend.cap.settle(run.hold, billed if billed or not stats.done else None)
        run.finished = True
        run.done.set()


def summary_of(output: str) -> dict[str, Any]:
    """What the results file says so far; nothing when it is not written yet."""
    return _summarize(output) if os.path.exists(output) else {}


async def status(backend: Backend, output: str) -> BatchOut:
    run = backend.batches.get(output)
    summary = await anyio.to_thread.run_sync(summary_of, output)
    return BatchOut(
        output_path=output,
        job=summary.get("job"),
        running=run is not None and not run.finished,
        rows=summary.get("rows", 0),
        answered=summary.get("answered", 0),
        failed=summary.get("failed", 0),
        errors=summary.get("errors", {}),
        stopped=summary.get("stopped"),
        billed_micro_usd=None if run is None else run.job.stats.billed_micro_usd,
        error=None if run is None else run.error,
    )


def register(app: MCPServer, backend: Backend) -> None:
    @tool(app, backend, title="Start a batch job (spends money)", annotations=SPEND)
    async def batch_start(
        endpoint_id: Annotated[str, Field(min_length=1, description="a live endpoint's id")],
        input_path: Annotated[
            str,
            Field(
                min_length=1,
                description='a JSONL file on the server\'s machine; each line has a "prompt" '
                'string or OpenAI "messages"',
            ),
        ],
        output_path: Annotated[
            str | None, Field(description="the results file (default: INPUT.results.jsonl)")
        ] = None,
        key: Annotated[str | None, Field(description="the field that identifies a row")] = None,
        max_tokens: Annotated[int | None, Field(ge=1)] = None,
    ) -> BatchOut:
        """Run one chat completion per row of a file, in the background; read its progress
        with batch_status. Starting it again on the same output resumes it without billing
        a row twice. Metered: the whole job's estimate is held against the spending cap."""
        pa = backend.client()
        if backend.task_group is None:  # pragma: no cover - the entry point always sets it
            raise RuntimeError("this server runs no background jobs")
        source = Path(input_path)
        output = absolute(output_path or source.with_name(source.stem + ".results.jsonl"))
        running = backend.batches.get(output)
        if running is not None and not running.finished:
            raise ValueError(f"a batch job is already writing {output}: read it with batch_status")
        # Files are read on a worker thread: a big one must not stall the other sessions.
        rows, chars = await anyio.to_thread.run_sync(scan, source)
        done = (await anyio.to_thread.run_sync(summary_of, output)).get("answered", 0)
        endpoint = await pa.endpoints.retrieve(endpoint_id)
        if not endpoint.task or not endpoint.model:
            raise ValueError(f"endpoint {endpoint_id} names no task or model to price a call by")
        per_row = await backend.pricing.request(pa, endpoint.task, endpoint.model, chars / rows)
        hold = f"batch:{output}"
        todo = rows - done
        backend.cap.hold(hold, f"a batch of {todo} rows on {endpoint_id}", per_row * todo)
        extra: dict[str, Any] = {"model": endpoint_id}
        if max_tokens is not None:
            extra["max_tokens"] = max_tokens
        rows_in = requests(source, extra, key)
        job = pa.batch(pa.chat.completions.create, rows_in, output=output, key=key)
        run = backend.batches[output] = BatchRun(job=job, output=output, hold=hold)
        backend.task_group.start_soon(_run, backend, run)
        return (await status(backend, output)).model_copy(update={"running": True})

    @tool(app, backend, title="Batch job status", annotations=READ_LOCAL)
    async def batch_status(
        output_path: Annotated[str, Field(min_length=1, description="the job's results file")],
    ) -> BatchOut:
        """How far a batch job has got: rows answered and failed, errors by type, and why
        it stopped, read from its results file."""
        return await status(backend, absolute(output_path))
