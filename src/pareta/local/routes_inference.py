"""OpenAI-compatible inference: `POST /v1/chat/completions` and `GET /v1/models`."""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response, StreamingResponse

from . import upstream
from .catalog import ModelRef, Usage, predict, solve, usage_for
from .deps import (
    CurrentOrg,
    State,
    invalid,
    json_body,
    json_response,
    settlement,
    sse_event,
)
from .engine import document_text, render_output
from .records import Endpoint, Org, Traffic
from .scoring import SCORERS
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


def _content_text(part: Any, loc: list[str | int]) -> tuple[str, int]:
    if not isinstance(part, dict):
        raise invalid(loc, "content parts must be objects", part)
    if part.get("type") == "text":
        return str(part.get("text", "")), 0
    if part.get("type") in ("image_url", "file"):
        ref = part.get("image_url") or part.get("file") or {}
        url = ref.get("url") or ref.get("file_data") if isinstance(ref, dict) else ref
        if isinstance(url, str) and url.startswith("data:") and "," in url:
            try:
                return document_text(base64.b64decode(url.split(",", 1)[1], validate=False)), 1
            except (binascii.Error, ValueError):
                raise invalid(loc, "image data URL is not valid base64") from None
        return "", 1
    return "", 0


def read_messages(messages: Any) -> tuple[str, int]:
    """The text the model reads (system and user turns) and how many documents came with it."""
    if not isinstance(messages, list) or not messages:
        raise invalid(["body", "messages"], "messages must be a non-empty list", messages)
    texts: list[str] = []
    documents = 0
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise invalid(["body", "messages", i], "each message needs a string 'role'", message)
        if message["role"] == "assistant":
            continue
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            for j, part in enumerate(content):
                text, docs = _content_text(part, ["body", "messages", i, "content", j])
                texts.append(text)
                documents += docs
        elif content is not None:
            raise invalid(["body", "messages", i, "content"], "content must be a string or a list")
    return "\n".join(t for t in texts if t), documents


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


def _options(body: dict[str, Any]) -> tuple[bool, int | None]:
    stream = body.get("stream", False)
    if stream is not None and not isinstance(stream, bool):
        raise invalid(["body", "stream"], "stream must be a boolean", stream)
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise invalid(["body", "max_tokens"], "max_tokens must be a positive integer", limit)
    return bool(stream), limit


@router.post("/v1/chat/completions")
async def chat_completions(request: Request, org: CurrentOrg, state: State) -> Response:
    started = time.perf_counter()
    body = await json_body(request)
    model_id = body.get("model")
    if not isinstance(model_id, str) or not model_id:
        raise invalid(["body", "model"], "model must be a non-empty string", model_id)
    stream, max_tokens = _options(body)
    text, documents = read_messages(body.get("messages"))
    task, model, endpoint = resolve_model(state, org, model_id)
    if endpoint is not None:
        _check_ready(endpoint)
    state.meter.require_credit(org.id)
    if state.config.upstream:
        return await upstream.relay(request, state, org, body, model_id, model, endpoint, stream)

    reference = solve(task, text)
    output = predict(task, model, text, reference)
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
                quality=SCORERS[task.default_scorer](output, reference),
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
