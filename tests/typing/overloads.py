"""What mypy infers for the calls whose result type depends on an argument, and for fields.

Never run: mypy checks each ``assert_type`` under --strict, so an overload that falls back
to the union, or a field that reads as ``Any``, fails the type check.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

from typing_extensions import assert_type

from pareta import (
    APIResponse,
    AsyncDeployStream,
    AsyncPareta,
    AsyncStream,
    ChatCompletion,
    ChatCompletionChunk,
    DeployStream,
    Endpoint,
    EvalResult,
    EvalRun,
    Message,
    ModelList,
    Pareta,
    Stream,
    Task,
    TaskMatchCandidate,
    Usage,
)

MESSAGES = [{"role": "user", "content": "hi"}]


def sync_calls(pa: Pareta, wait: bool, stream: bool, model: str) -> None:
    assert_type(pa.endpoints.deploy(task="t", wait=True), Endpoint)
    assert_type(pa.endpoints.deploy(task="t", model=model, wait=True), Endpoint)
    assert_type(pa.endpoints.deploy(task="t", wait=False), DeployStream)
    assert_type(pa.endpoints.deploy(task="t"), DeployStream)
    assert_type(pa.endpoints.deploy(task="t", wait=wait), DeployStream | Endpoint)
    assert_type(pa.chat.completions.create(model=model, messages=MESSAGES), ChatCompletion)
    assert_type(
        pa.chat.completions.create(model=model, messages=MESSAGES, stream=False), ChatCompletion
    )
    assert_type(pa.chat.completions.create(model=model, messages=MESSAGES, stream=True), Stream)
    assert_type(
        pa.chat.completions.create(model=model, messages=MESSAGES, stream=stream),
        ChatCompletion | Stream,
    )
    assert_type(pa.evals.runs.create(eval_set="es", models=[model], wait=wait), EvalRun)
    assert_type(pa.tasks.recommended("t"), str | None)
    for chunk in pa.chat.completions.create(model=model, messages=MESSAGES, stream=True):
        assert_type(chunk, ChatCompletionChunk)


async def async_calls(pa: AsyncPareta, wait: bool, stream: bool, model: str) -> None:
    assert_type(await pa.endpoints.deploy(task="t", wait=True), Endpoint)
    assert_type(await pa.endpoints.deploy(task="t"), AsyncDeployStream)
    assert_type(await pa.endpoints.deploy(task="t", wait=wait), AsyncDeployStream | Endpoint)
    assert_type(await pa.chat.completions.create(model=model, messages=MESSAGES), ChatCompletion)
    assert_type(
        await pa.chat.completions.create(model=model, messages=MESSAGES, stream=True), AsyncStream
    )
    assert_type(
        await pa.chat.completions.create(model=model, messages=MESSAGES, stream=stream),
        ChatCompletion | AsyncStream,
    )


def fields(
    completion: ChatCompletion, ep: Endpoint, run: EvalRun, candidate: TaskMatchCandidate
) -> None:
    assert_type(completion.id, str | None)
    assert_type(completion.created, int | None)
    assert_type(completion.usage, Usage)
    assert_type(completion.usage.total_tokens, int | None)
    assert_type(completion.choices[0].message, Message)
    assert_type(completion.choices[0].delta.content, str | None)
    assert_type(ep.id, str | None)
    assert_type(ep.url, str | None)
    assert_type(ep.is_live, bool)
    assert_type(candidate.task_id, str | None)
    assert_type(candidate.score, float | None)
    assert_type(run.id, str | None)
    assert_type(run.status, str | None)
    assert_type(run.cost, Decimal)
    assert_type(run.cost_micro_usd, int)
    assert_type(run.results, list[EvalResult])
    assert_type(run.results[0].model_id, str | None)


def options_and_raw(pa: Pareta, stream: bool, model: str) -> None:
    assert_type(pa.with_options(timeout=5, max_retries=0, call_timeout=None), Pareta)
    raw = pa.with_raw_response
    assert_type(
        raw.chat.completions.create(model=model, messages=MESSAGES), APIResponse[ChatCompletion]
    )
    assert_type(
        raw.chat.completions.create(model=model, messages=MESSAGES, stream=True),
        APIResponse[Stream],
    )
    assert_type(
        raw.chat.completions.create(model=model, messages=MESSAGES, stream=stream),
        APIResponse[ChatCompletion] | APIResponse[Stream],
    )
    assert_type(raw.endpoints.deploy(task="t", wait=True), APIResponse[Endpoint])
    assert_type(raw.endpoints.deploy(task="t"), APIResponse[DeployStream])
    assert_type(raw.endpoints.delete("ep_1"), APIResponse[None])
    assert_type(raw.models.list(timeout=3).parse(), ModelList)
    assert_type(raw.tasks.list(extra_headers={"x": "1"}).parse(), list[Task])
    assert_type(raw.evals.runs.create(eval_set="es", models=[model]).parse(), EvalRun)
    assert_type(raw.models.list().request_id, str | None)
    assert_type(raw.models.list().status_code, int)
    assert_type(pa.models.list().request_id, str | None)
    assert_type(pa.models.list()._request_id, str | None)
    with pa.chat.completions.create(model=model, messages=MESSAGES, stream=True) as chunks:
        assert_type(chunks, Stream)
        texts: Iterator[str] = chunks.text_deltas()
        assert_type(next(texts), str)
        assert_type(chunks.get_final_completion(), ChatCompletion)


async def async_options_and_raw(pa: AsyncPareta, model: str) -> None:
    assert_type(pa.with_options(stream_idle_timeout=30), AsyncPareta)
    raw = pa.with_raw_response
    assert_type(
        await raw.chat.completions.create(model=model, messages=MESSAGES, stream=True),
        APIResponse[AsyncStream],
    )
    assert_type(await raw.endpoints.deploy(task="t", wait=True), APIResponse[Endpoint])
    assert_type((await raw.tasks.match("q")).parse().candidates, list[TaskMatchCandidate])
    stream = await pa.chat.completions.create(model=model, messages=MESSAGES, stream=True)
    async with stream as chunks:
        assert_type(chunks, AsyncStream)
        texts: AsyncIterator[str] = chunks.text_deltas()
        assert_type(await texts.__anext__(), str)
        assert_type(await chunks.get_final_completion(), ChatCompletion)
