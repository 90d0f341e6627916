"""Eval sets, document blobs (inline and signed-URL uploads), and eval runs."""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Iterable
from typing import Annotated, Any, NamedTuple
from urllib.parse import quote

import anyio
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import FormData, UploadFile
from starlette.requests import ClientDisconnect

from . import quotas
from .deps import (
    CurrentOrg,
    State,
    base_url,
    invalid,
    json_response,
    not_found,
    parse_json,
    settlement,
)
from .engine import count_tokens
from .evals import estimate_cost
from .records import EvalRun, EvalSet, Org
from .runs import RunScoring
from .state import ServerState
from .storage import Blob, TokenRejected
from .tasks import Task
from .work import Busy

router = APIRouter()
MAX_ROWS = 100_000
MAX_FIELD_BYTES = 4096
IDX = re.compile(r"^\s*[0-9]{1,9}\s*$", re.ASCII)


class UploadUrlRequest(BaseModel):
    idx: int = Field(ge=0)
    field_name: str = Field(min_length=1, max_length=64)
    mime: str = "application/octet-stream"
    size: int | None = Field(default=None, ge=0)


class UploadCompleteRequest(BaseModel):
    idx: int = Field(ge=0)
    field_name: str = Field(min_length=1, max_length=64)
    upload_id: str | None = None


class EvalRunRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    eval_set_id: str = Field(min_length=1)
    candidate_model_ids: list[str] = Field(min_length=1)
    name: str | None = None


def _eval_set(org: Org, eval_set_id: str) -> EvalSet:
    eval_set = org.eval_sets.get(eval_set_id)
    if eval_set is None:
        raise not_found("Eval set", eval_set_id)
    return eval_set


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"Upload exceeds the {limit} byte limit.")


async def _form_text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if isinstance(value, UploadFile):
        return (await value.read(MAX_FIELD_BYTES)).decode("utf-8", errors="replace")
    return value


class Rows(NamedTuple):
    rows: list[dict[str, Any]]
    size: int  # bytes of JSONL
    text_tokens: int  # of the rows' text inputs, for a run's cost estimate
    text_rows: int


def _parse_rows(lines: Iterable[bytes | str]) -> Rows:
    """JSONL rows, one line in memory at a time (CPU-bound: run off the loop)."""
    rows: list[dict[str, Any]] = []
    size = text_tokens = text_rows = 0
    for number, line in enumerate(lines, start=1):
        size += len(line)
        if not line.strip():
            continue
        loc: list[str | int] = ["body", "items", number]
        row = parse_json(line, loc, f"line {number}")
        if not isinstance(row, dict):
            raise invalid(loc, f"line {number} is not a JSON object")
        if len(rows) == MAX_ROWS:
            raise invalid(["body", "items"], f"at most {MAX_ROWS} rows per eval set")
        rows.append(row)
        text = row.get("input")
        if text is not None:
            text_rows += 1
            text_tokens += count_tokens(text if isinstance(text, str) else json.dumps(text))
    if not rows:
        raise invalid(["body", "items"], "items must hold at least one JSONL row")
    return Rows(rows, size, text_tokens, text_rows)


async def _rows_of(form: FormData) -> Rows:
    items = form.get("items")
    if items is None:
        raise invalid(["body", "items"], "items (a JSONL file part) is required")
    lines: Iterable[bytes | str]
    if isinstance(items, UploadFile):
        await items.seek(0)
        lines = items.file
    else:
        lines = items.splitlines()
    return await anyio.to_thread.run_sync(_parse_rows, lines)


@router.post("/v1/eval-sets")
async def create_eval_set(request: Request, org: CurrentOrg, state: State) -> Response:
    # The body is streamed to spooled files; `bodies` caps it at the upload limit.
    async with request.form(max_part_size=state.config.max_upload_bytes) as form:
        task_id = await _form_text(form, "task_id")
        name = await _form_text(form, "name")
        if not task_id:
            raise invalid(["body", "task_id"], "task_id is required")
        task = state.catalog.tasks.get(task_id)
        if task is None:
            raise not_found("Task", task_id)
        parsed = await _rows_of(form)
    eval_set = EvalSet(
        id=state.new_id("es", 8),
        task=task,
        name=name or f"eval set ({len(parsed.rows)} items)",
        rows=parsed.rows,
        created=time.time(),
        size=parsed.size,
        text_tokens=parsed.text_tokens,
        text_rows=parsed.text_rows,
    )
    quotas.store(org, quotas.eval_set_bytes(eval_set), state.config.max_stored_bytes)
    org.eval_sets[eval_set.id] = eval_set
    return json_response({"eval_set": eval_set.to_json()})


@router.get("/v1/eval-sets")
async def list_eval_sets(org: CurrentOrg) -> Response:
    return json_response({"eval_sets": [s.to_json() for s in org.eval_sets.values()]})


@router.get("/v1/eval-sets/{eval_set_id}")
async def retrieve_eval_set(eval_set_id: str, org: CurrentOrg) -> Response:
    return json_response({"eval_set": _eval_set(org, eval_set_id).to_json()})


@router.delete("/v1/eval-sets/{eval_set_id}")
async def delete_eval_set(eval_set_id: str, org: CurrentOrg) -> Response:
    quotas.release(org, quotas.eval_set_bytes(_eval_set(org, eval_set_id)))
    del org.eval_sets[eval_set_id]
    return json_response({"id": eval_set_id, "object": "eval_set", "deleted": True})


def _check_slot(eval_set: EvalSet, idx: int, field_name: str) -> None:
    task = eval_set.task
    if not task.has_blob_input:
        raise invalid(["body", "field_name"], f"task {task.id!r} takes no documents", field_name)
    if field_name not in task.blob_fields:
        allowed = ", ".join(task.blob_fields)
        raise invalid(["body", "field_name"], f"field_name must be one of: {allowed}", field_name)
    if not 0 <= idx < len(eval_set.rows):
        raise invalid(["body", "idx"], f"idx must be within 0..{len(eval_set.rows) - 1}", idx)


def _attached(eval_set: EvalSet, idx: int, field_name: str, blob: Blob) -> dict[str, Any]:
    eval_set.blobs[(idx, field_name)] = blob
    return {
        "eval_set_id": eval_set.id,
        "idx": idx,
        "field_name": field_name,
        "attached": True,
        **blob.describe(),
    }


@router.post("/v1/eval-sets/{eval_set_id}/attach-blob")
async def attach_blob(
    eval_set_id: str, request: Request, org: CurrentOrg, state: State
) -> Response:
    eval_set = _eval_set(org, eval_set_id)
    limit = state.config.max_upload_bytes
    async with request.form(max_part_size=MAX_FIELD_BYTES) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise invalid(["body", "file"], "file (a file part) is required")
        data = await upload.read(limit + 1)
        part_mime = upload.content_type
        idx_raw, field_name, mime = form.get("idx"), form.get("field_name"), form.get("mime")
    if len(data) > limit:
        raise _too_large(limit)
    if not isinstance(idx_raw, str) or not IDX.match(idx_raw):
        shown = idx_raw[:40] if isinstance(idx_raw, str) else None
        raise invalid(["body", "idx"], "idx must be a row number (ASCII digits)", shown)
    if not isinstance(field_name, str):
        raise invalid(["body", "field_name"], "field_name is required")
    idx = int(idx_raw)
    _check_slot(eval_set, idx, field_name)
    blob_mime = mime if isinstance(mime, str) and mime else part_mime or "application/octet-stream"
    replaced = eval_set.blobs.get((idx, field_name))
    growth = len(data) - (replaced.size + quotas.RECORD_BYTES if replaced else 0)
    quotas.store(org, growth + quotas.RECORD_BYTES, state.config.max_stored_bytes)
    return json_response(_attached(eval_set, idx, field_name, Blob(data, blob_mime)))


@router.post("/v1/eval-sets/{eval_set_id}/blob-upload-url")
async def blob_upload_url(
    eval_set_id: str, body: UploadUrlRequest, request: Request, org: CurrentOrg, state: State
) -> Response:
    eval_set = _eval_set(org, eval_set_id)
    _check_slot(eval_set, body.idx, body.field_name)
    limit = state.config.max_upload_bytes
    if body.size is not None and body.size > limit:
        raise _too_large(limit)
    max_bytes = limit if body.size is None else body.size
    claims, token = state.signer.mint(
        org.id, eval_set.id, body.idx, body.field_name, body.mime, max_bytes
    )
    path = f"/storage/eval-sets/{eval_set.id}/rows/{body.idx}/{quote(body.field_name)}"
    return json_response(
        {
            "upload_url": f"{base_url(request)}{path}?token={token}",
            "method": "PUT",
            "headers": {"Content-Type": body.mime},
            "upload_id": claims.upload_id,
            "expires_at": int(claims.expires_at),
            "max_bytes": max_bytes,
        }
    )


@router.put("/storage/eval-sets/{eval_set_id}/rows/{idx}/{field_name}")
async def put_blob(
    eval_set_id: str,
    idx: int,
    field_name: str,
    request: Request,
    state: State,
    token: Annotated[str, Query(min_length=1)],
) -> Response:
    """Signed-URL storage: authorised by the token alone, never by an API key."""
    try:
        claims = state.signer.verify(token, eval_set_id, idx, field_name)
    except TokenRejected as exc:
        raise HTTPException(403, str(exc)) from None
    org = state.org_by_id(claims.org_id)
    eval_set = org.eval_sets.get(eval_set_id) if org else None
    if org is None or eval_set is None:
        raise not_found("Eval set", eval_set_id)
    chunks, size = [], 0
    staged = eval_set.staged.get((idx, field_name))
    held = org.stored_bytes - (staged[1].size + quotas.RECORD_BYTES if staged else 0)
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > claims.max_bytes:
                raise _too_large(claims.max_bytes)
            # Refused as it grows, so an org over its storage holds nothing more meanwhile.
            quotas.store_check(org, held, size, state.config.max_stored_bytes)
            chunks.append(chunk)
    except ClientDisconnect:
        # Cut off mid-body: nothing is stored and the token stays valid for the retry.
        return Response(status_code=400)
    try:
        state.signer.spend(claims)
    except TokenRejected as exc:  # a concurrent PUT with the same token finished first
        raise HTTPException(403, str(exc)) from None
    blob = Blob(b"".join(chunks), claims.mime)
    org.stored_bytes = held + size + quotas.RECORD_BYTES
    eval_set.staged[(idx, field_name)] = (claims, blob)
    return json_response({"upload_id": claims.upload_id, "stored": True, **blob.describe()})


@router.post("/v1/eval-sets/{eval_set_id}/blob-upload-complete")
async def blob_upload_complete(
    eval_set_id: str, body: UploadCompleteRequest, org: CurrentOrg
) -> Response:
    eval_set = _eval_set(org, eval_set_id)
    _check_slot(eval_set, body.idx, body.field_name)
    staged = eval_set.staged.get((body.idx, body.field_name))
    if staged is None or (body.upload_id is not None and staged[0].upload_id != body.upload_id):
        raise HTTPException(
            404,
            f"No uploaded bytes for row {body.idx} field {body.field_name!r} of this eval set; "
            "PUT them to the upload URL first.",
        )
    del eval_set.staged[(body.idx, body.field_name)]
    replaced = eval_set.blobs.get((body.idx, body.field_name))
    if replaced is not None:
        quotas.release(org, replaced.size + quotas.RECORD_BYTES)
    claims, blob = staged
    return json_response(
        {**_attached(eval_set, body.idx, body.field_name, blob), "upload_id": claims.upload_id}
    )


def _unknown_models(task: Task, state: ServerState, model_ids: list[str]) -> list[str]:
    return [m for m in model_ids if state.catalog.resolve_candidate(task, m) is None]


@router.post("/v1/eval-runs")
async def create_eval_run(
    body: EvalRunRequest, request: Request, org: CurrentOrg, state: State
) -> Response:
    eval_set = _eval_set(org, body.eval_set_id)
    task = eval_set.task
    model_ids = list(dict.fromkeys(body.candidate_model_ids))
    now = time.time()
    run = EvalRun(
        id=state.new_id("run", 8),
        eval_set_id=eval_set.id,
        task=task,
        name=body.name,
        candidates=model_ids,
        item_count=len(eval_set.rows),
        created=now,
        finishes_at=now,
        results=[],
        cost_micro_usd=0,
    )
    unknown = _unknown_models(task, state, model_ids)
    if unknown:
        run.error_detail = (
            f"Unknown model id(s) for task {task.id!r}: {', '.join(unknown)}. Use aliases from "
            f"GET /v1/tasks/{task.id}/leaderboard or ids from GET /v1/eval/frontier-models."
        )
        run.finishes_at = now + 0.05
        run.scored = True
        org.runs[run.id] = run
        return json_response({"run_id": run.id, "status": "running"})
    models = [
        m for m in map(functools.partial(state.catalog.resolve_candidate, task), model_ids) if m
    ]
    _check_queued_runs(org, state.config.max_queued_runs)
    work = len(eval_set.rows) * len(models)
    run.finishes_at = now + work * state.config.eval_seconds_per_item
    # An empty balance is a 402 before anything else; then the run's estimated cost is
    # reserved (402 if the balance cannot cover it), to be settled when it is scored.
    delivered = state.meter.reserve(org.id, 0, "eval.run")
    estimate = estimate_cost(task, eval_set.text_tokens, eval_set.text_rows, eval_set.blobs, models)
    reserved = state.meter.reserve(org.id, estimate, "eval.run", **_ledger_detail(run, eval_set))
    org.runs[run.id] = run
    paid = settlement(request)
    scoring = RunScoring(
        run,
        org,
        eval_set,
        models,
        state.meter,
        state.work,
        reserved,
        (paid.request_id, paid.idempotency_key),
    )

    def forget_run() -> None:
        # An undelivered answer is unbilled, so the run must not exist either.
        state.meter.release(reserved)
        org.runs.pop(run.id, None)

    paid.add(delivered, on_commit=scoring.start, on_abort=forget_run)
    return json_response({"run_id": run.id, "status": "running"})


def _check_queued_runs(org: Org, limit: int) -> None:
    queued = sum(1 for run in org.runs.values() if not run.scored)
    if queued >= limit:
        raise Busy(
            429,
            f"This org has {queued} eval runs waiting or scoring; at most {limit} are "
            "(max_queued_runs, --max-queued-runs). Retry once one has finished.",
        )


def _ledger_detail(run: EvalRun, eval_set: EvalSet) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "eval_set_id": eval_set.id,
        "items": len(eval_set.rows),
        "models": list(run.candidates),
    }


@router.get("/v1/eval-runs/{run_id}")
async def retrieve_eval_run(run_id: str, org: CurrentOrg) -> Response:
    run = org.runs.get(run_id)
    if run is None:
        raise not_found("Eval run", run_id)
    return json_response(run.to_json())
