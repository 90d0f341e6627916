"""Relay inference to a real OpenAI-compatible server (`--upstream URL`).

The local server still authenticates, meters and records the call; the
upstream only produces the text. Responses keep the caller's model id, so the
upstream's real model name never reaches the client.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from fastapi import HTTPException, Request
from fastapi.responses import Response, StreamingResponse

from .catalog import ModelRef, Usage
from .deps import json_response, settlement, sse_event
from .engine import count_tokens
from .records import Endpoint, Org, Traffic
from .state import ServerState

TIMEOUT = httpx.Timeout(300.0, connect=5.0)
# A stream's price is unknown until it ends: hold this many completion tokens meanwhile.
STREAM_HOLD_TOKENS = 1024


def chat_url(base: str) -> str:
    base = base.rstrip("/")
    return f"{base}/chat/completions" if base.endswith("/v1") else f"{base}/v1/chat/completions"


def _headers(state: ServerState) -> dict[str, str]:
    key = state.config.upstream_api_key
    return {"Authorization": f"Bearer {key}"} if key else {}


async def upstream_model(state: ServerState, client: httpx.AsyncClient, fallback: str) -> str:
    """The configured upstream model, else the first one the upstream lists."""
    if state.upstream_model:
        return state.upstream_model
    try:
        models_url = chat_url(state.config.upstream or "").removesuffix("/chat/completions")
        response = await client.get(f"{models_url}/models", headers=_headers(state))
        models = response.json().get("data") or []
        if response.status_code == 200 and models:
            state.upstream_model = str(models[0]["id"])
            return state.upstream_model
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        pass
    return fallback


def _usage_of(data: dict[str, Any], prompt_text: str, content: str) -> Usage:
    usage = data.get("usage") or {}
    prompt = usage.get("prompt_tokens")
    completion = usage.get("completion_tokens")
    return Usage(
        prompt if isinstance(prompt, int) else count_tokens(prompt_text),
        completion if isinstance(completion, int) else count_tokens(content),
    )


def _upstream_error(response: httpx.Response) -> HTTPException:
    status = 502 if response.status_code >= 500 else response.status_code
    return HTTPException(status, f"Upstream answered {response.status_code}: {response.text[:300]}")


async def relay(
    request: Request,
    state: ServerState,
    org: Org,
    body: dict[str, Any],
    model_id: str,
    model: ModelRef,
    endpoint: Endpoint | None,
    stream: bool,
) -> Response:
    if stream:
        return await _relay_stream(request, state, org, body, model_id, model, endpoint)
    started = time.perf_counter()
    prompt_text = json.dumps(body.get("messages"))
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        payload = {**body, "model": await upstream_model(state, client, model_id)}
        try:
            response = await client.post(
                chat_url(state.config.upstream or ""), json=payload, headers=_headers(state)
            )
        except httpx.HTTPError as exc:
            raise HTTPException(502, f"Upstream unavailable: {exc!r}") from None
    if response.status_code >= 400:
        raise _upstream_error(response)
    data = response.json()
    content = str(((data.get("choices") or [{}])[0].get("message") or {}).get("content") or "")
    usage = _usage_of(data, prompt_text, content)
    hold = state.meter.reserve(
        org.id,
        usage.price(model),
        "chat.completion",
        model=model_id,
        endpoint_id=endpoint and endpoint.id,
        upstream=True,
    )
    settlement(request).add(hold, on_commit=_recorder(endpoint, usage, model, started, False))
    return json_response({**data, "model": model_id})


async def _relay_stream(
    request: Request,
    state: ServerState,
    org: Org,
    body: dict[str, Any],
    model_id: str,
    model: ModelRef,
    endpoint: Endpoint | None,
) -> Response:
    started = time.perf_counter()
    prompt_text = json.dumps(body.get("messages"))
    estimate = Usage(count_tokens(prompt_text), STREAM_HOLD_TOKENS)
    hold = state.meter.reserve(
        org.id,
        estimate.price(model),
        "chat.completion",
        model=model_id,
        endpoint_id=endpoint and endpoint.id,
        upstream=True,
    )
    client = httpx.AsyncClient(timeout=TIMEOUT)
    try:
        payload = {**body, "model": await upstream_model(state, client, model_id)}
        upstream_request = client.build_request(
            "POST", chat_url(state.config.upstream or ""), json=payload, headers=_headers(state)
        )
        response = await client.send(upstream_request, stream=True)
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            raise _upstream_error(response)
    except BaseException as exc:
        state.meter.release(hold)
        await client.aclose()
        if isinstance(exc, httpx.HTTPError):
            raise HTTPException(502, f"Upstream unavailable: {exc!r}") from None
        raise
    final_usage: list[Usage] = []

    async def relay_events() -> AsyncIterator[bytes]:
        content: list[str] = []
        final: dict[str, Any] = {}
        try:
            async for line in response.aiter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                for choice in chunk.get("choices") or []:
                    content.append(str((choice.get("delta") or {}).get("content") or ""))
                if chunk.get("usage"):
                    final = chunk
                yield sse_event({**chunk, "model": model_id})
            usage = _usage_of(final, prompt_text, "".join(content))
            state.meter.resize(hold, usage.price(model))
            final_usage.append(usage)
            yield sse_event("[DONE]")
        finally:
            await response.aclose()
            await client.aclose()

    def record() -> None:
        if final_usage:
            _recorder(endpoint, final_usage[0], model, started, True)()

    settlement(request).add(hold, on_commit=record)
    return StreamingResponse(relay_events(), media_type="text/event-stream")


def _recorder(
    endpoint: Endpoint | None, usage: Usage, model: ModelRef, started: float, stream: bool
) -> Callable[[], None]:
    def record() -> None:
        if endpoint is not None:
            endpoint.traffic.append(
                Traffic(
                    time.time(),
                    (time.perf_counter() - started) * 1000,
                    200,
                    usage.prompt_tokens,
                    usage.completion_tokens,
                    usage.price(model),
                    stream=stream,
                )
            )

    return record
