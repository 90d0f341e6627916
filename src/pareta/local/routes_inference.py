"""OpenAI-compatible inference: `POST /v1/chat/completions` and `GET /v1/models`."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response, StreamingResponse

from . import upstream
from .catalog import ModelRef, Usage, usage_for
from .deps import (
    CurrentOrg,
    State,
    json_response,
    raw_body,
    settlement,
    sse_event,
)
from .engine import render_output
from .inference import infer, read_chat
from .records import Endpoint, Org, Traffic
from .state import ServerState
from .tasks import Task

router = APIRouter()
_PIECE = re.compile(r"\S+\s*|\s+")
MAX_STREAM_PIECES = 16


@router.get("/v1/models")
async def list_models(org: CurrentOrg) -> Response:
    data = [
        {"id": ep.id, "object": "model", "owned_by": "pareta", "created": int(ep.created)}
        for ep in org.endpoints.values()
        if ep.status() == "live"
    ]
    return json_response({"object": "list", "data": data})


def resolve_model(
    state: ServerState, org: Org, model_id: str
) -> tuple[Task, ModelRef, Endpoint | None]:
    """An endpoint id, a `task/alias` pair, or a bare alias (first task that has it)."""
    endpoint = org.endpoints.get(model_id)
    if endpoint is not None:
        return endpoint.task, endpoint.model, endpoint
    task_id, slash, alias = model_id.partition("/")
    task = state.catalog.tasks.get(task_id)
    if slash and task is not None:
        ref = state.resolve_alias(task, alias)
        if ref is not None:
            return task, ref, None
    found = state.catalog.find_alias(model_id)
    if found is not None:
        return found[0], found[1], None
    raise HTTPException(
        404,
        f"Model {model_id!r} not found. Pass an endpoint id from GET /v1/models "
        "or a task alias such as 'contract-key-fields/contract-kie-1'.",
    )


def _check_ready(endpoint: Endpoint) -> None:
    status = endpoint.status()
    if status == "live":
        return
    endpoint.traffic.append(Traffic(time.time(), 0.0, 503))
    if status == "starting":
        raise HTTPException(
            503,
            f"Endpoint {endpoint.id!r} is starting; retry shortly.",
            headers={"Retry-After": "1"},
        )
    raise HTTPException(
        503,
        f"Endpoint {endpoint.id!r} is {status}. "
        f"Start it with POST /v1/endpoints/{endpoint.id}/start.",
    )


@router.post("/v1/chat/completions")
async def chat_completions(request: Request, org: CurrentOrg, state: State) -> Response:
    started = time.perf_counter()
    raw = await raw_body(request)
    relayed = bool(state.config.upstream)
    inline = len(raw) <= state.config.inline_work_bytes
    chat = (
        read_chat(raw, relayed) if inline else await state.work.run(org.id, read_chat, raw, relayed)
    )
    model_id, stream, max_tokens, text, documents = (
        chat.model,
        chat.stream,
        chat.max_tokens,
        chat.text,
        chat.documents,
    )
    task, model, endpoint = resolve_model(state, org, model_id)
    if endpoint is not None:
        _check_ready(endpoint)
    state.meter.require_credit(org.id)
    if chat.body is not None:
        return await upstream.relay(
            request, state, org, chat.body, model_id, model, endpoint, stream
        )

    if len(text) <= state.config.inline_work_bytes:
        output, quality = infer(task.id, model, text)
    else:
        output, quality = await state.work.run(org.id, infer, task.id, model, text)
    content = render_output(output)
    usage = usage_for(text, output, documents=documents)
    finish = "stop"
    if max_tokens is not None and usage.completion_tokens > max_tokens:
        content, finish = content[: max_tokens * 4], "length"
        usage = Usage(usage.prompt_tokens, max_tokens)
    cost = usage.price(model)
    hold = state.meter.reserve(
        org.id,
        cost,
        "chat.completion",
        model=model_id,
        endpoint_id=endpoint and endpoint.id,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
    )

    def record() -> None:
        if endpoint is None:
            return
        baseline = endpoint.extra.get("frontier_cost_per_request_micro_usd")
        if not isinstance(baseline, int):
            baseline = usage.price(state.catalog.baseline(task))
        endpoint.traffic.append(
            Traffic(
                at=time.time(),
                latency_ms=(time.perf_counter() - started) * 1000,
                status=200,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                cost_micro_usd=cost,
                frontier_cost_micro_usd=baseline,
                quality=quality,
                stream=stream,
            )
        )

    settlement(request).add(hold, on_commit=record)
    completion = {
        "id": f"chatcmpl-{secrets.token_hex(12)}",
        "created": int(time.time()),
        "model": model_id,
    }
    usage_json = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    # What this call debits, for a client that keeps count (a batch job's cost so far).
    cost_header = {COST_HEADER: str(cost)}
    if stream:
        return StreamingResponse(
            _chunks(completion, content, finish, usage_json),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", **cost_header},
        )
    message = {"role": "assistant", "content": content}
    return json_response(
        {
            **completion,
            "object": "chat.completion",
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
            ],
            "usage": usage_json,
        },
        headers=cost_header,
    )


COST_HEADER = "x-pareta-cost-micro-usd"


def split_pieces(content: str) -> list[str]:
    words = _PIECE.findall(content)
    per_piece = max(1, -(-len(words) // MAX_STREAM_PIECES))
    return ["".join(words[i : i + per_piece]) for i in range(0, len(words), per_piece)]


async def _chunks(
    completion: dict[str, Any], content: str, finish: str, usage: dict[str, int]
) -> AsyncIterator[bytes]:
    head = {**completion, "object": "chat.completion.chunk"}

    def chunk(delta: dict[str, str], reason: str | None = None) -> dict[str, Any]:
        return {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": reason}]}

    yield sse_event(chunk({"role": "assistant", "content": ""}))
    for piece in split_pieces(content):
        yield sse_event(chunk({"content": piece}))
    yield sse_event({**chunk({}, finish), "usage": usage})
    yield sse_event("[DONE]")
