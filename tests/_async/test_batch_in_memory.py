from __future__ import annotations

from typing import Any

import httpx
import pytest

from pareta import AsyncPareta, ChatCompletion, InsufficientCreditsError, NotFoundError
from pareta.local import LocalServer
from tests._async.helpers import mocked
from tests.helpers import Recorder, json_response

pytestmark = pytest.mark.anyio


def completion(request: httpx.Request) -> httpx.Response:
    import json

    prompt = json.loads(request.content)["messages"][0]["content"]
    if prompt == "missing":
        return json_response(404, {"detail": "no such model"})
    if prompt == "broke":
        return json_response(402, {"detail": "out of credit"})
    return json_response(200, {"choices": [{"message": {"content": prompt.upper()}}]})


def make(handler: object, **kwargs: object) -> AsyncPareta:
    return mocked(Recorder(handler), max_retries=0, **kwargs)  # type: ignore[arg-type]


def request(prompt: str) -> dict[str, object]:
    return {"model": "ep_1", "messages": [{"role": "user", "content": prompt}]}


async def test_results_come_back_in_input_order_with_errors_in_place() -> None:
    progress: list[tuple[int, int]] = []
    prompts = [f"p{i}" for i in range(30)]
    prompts[7] = "missing"
    async with make(completion) as pa:
        results = await pa.chat.completions.create_many(
            [request(p) for p in prompts],
            concurrency=4,
            on_progress=lambda done, total: progress.append((done, total)),
        )
    assert len(results) == 30
    assert isinstance(results[7], NotFoundError)
    for i, result in enumerate(results):
        if i != 7:
            assert isinstance(result, ChatCompletion)
            assert result.choices[0].message.content == f"P{i}"
    assert progress[-1] == (30, 30)
    assert [done for done, _ in progress] == list(range(1, 31))


async def test_insufficient_credits_stops_what_has_not_started() -> None:
    prompts = ["a", "b", "broke"] + [f"later{i}" for i in range(20)]
    async with make(completion) as pa:
        results = await pa.chat.completions.create_many(
            [request(p) for p in prompts], concurrency=1
        )
    stop = results[2]
    assert isinstance(stop, InsufficientCreditsError)
    assert [r.choices[0].message.content for r in results[:2]] == ["A", "B"]  # type: ignore[union-attr]
    assert all(r is stop for r in results[3:])


async def test_map_calls_any_method_with_kwargs_or_one_argument() -> None:
    def endpoint(request: httpx.Request) -> httpx.Response:
        endpoint_id = request.url.path.rsplit("/", 1)[-1]
        return json_response(200, {"id": endpoint_id, "status": "live"})

    async with make(endpoint) as pa:
        eps = await pa.map(pa.endpoints.retrieve, ["ep_1", "ep_2", "ep_3"], concurrency=2)
        by_kwargs = await pa.map(pa.endpoints.retrieve, [{"endpoint_id": "ep_9"}])
    assert [e.id for e in eps] == ["ep_1", "ep_2", "ep_3"]  # type: ignore[union-attr]
    assert by_kwargs[0].id == "ep_9"  # type: ignore[union-attr]


async def test_bad_batches_fail_before_any_request() -> None:
    async with make(completion) as pa:
        with pytest.raises(ValueError, match="concurrency"):
            await pa.chat.completions.create_many([request("a")], concurrency=0)
        with pytest.raises(TypeError, match="requests"):
            await pa.chat.completions.create_many(["a"])  # type: ignore[list-item]
        with pytest.raises(ValueError, match="stream"):
            await pa.chat.completions.create_many([{**request("a"), "stream": True}])
        assert await pa.chat.completions.create_many([]) == []


@pytest.mark.slow
async def test_fan_out_against_the_local_server(local: LocalServer, key: str) -> None:
    prompts = [f"Effective as of 2026-01-{day:02d}. Fee: ${day}00." for day in range(1, 29)] * 4
    requests: list[dict[str, Any]] = [
        {"model": "ep_contract_kie", "messages": [{"role": "user", "content": p}]} for p in prompts
    ]
    async with AsyncPareta(api_key=key, base_url=local.base_url) as pa:
        results = await pa.chat.completions.create_many(requests, concurrency=32)
        one_by_one = [await pa.chat.completions.create(**r) for r in requests[:28]]
    assert all(isinstance(r, ChatCompletion) for r in results)
    answers = [r.choices[0].message.content for r in results]  # type: ignore[union-attr]
    assert answers[:28] == [r.choices[0].message.content for r in one_by_one]
    assert answers[28:56] == answers[:28]  # the built-in model is deterministic
    debits = [e for e in local.ledger(key) if e["kind"] == "chat.completion"]
    assert len(debits) == len(prompts) + 28
