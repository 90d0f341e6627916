"""What mypy infers for the calls whose result type depends on an argument, and for fields.

Never run: mypy checks each ``assert_type`` under --strict, so an overload that falls back
to the union, or a field that reads as ``Any``, fails the type check.
"""

from __future__ import annotations

from decimal import Decimal

from typing_extensions import assert_type

from pareta import (
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
    Pareta,
    Stream,
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
