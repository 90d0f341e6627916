"""A caller's own ``idempotency_key``: a header on every POST method, never in the body."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from pareta import AsyncPareta
from pareta.local import LocalServer
from tests._async.helpers import mocked
from tests.helpers import Recorder, json_response, sse_events, sse_response

pytestmark = pytest.mark.anyio
MESSAGES = [{"role": "user", "content": "hi"}]
COMPLETION = {"id": "c1", "choices": [{"message": {"role": "assistant", "content": "ok"}}]}
RUN = {"run_id": "run_1", "status": "queued"}
ENDPOINT = {"id": "ep_1", "status": "live"}

Call = Callable[[AsyncPareta, str], Awaitable[Any]]


async def _chat(pa: AsyncPareta, key: str) -> Any:
    return await pa.chat.completions.create(model="ep_1", messages=MESSAGES, idempotency_key=key)


async def _match(pa: AsyncPareta, key: str) -> Any:
    return await pa.tasks.match("contracts", idempotency_key=key)


async def _run(pa: AsyncPareta, key: str) -> Any:
    return await pa.evals.runs.create(eval_set="es_1", models=["m"], idempotency_key=key)


async def _set(pa: AsyncPareta, key: str) -> Any:
    return await pa.evals.sets.create(
        task="t", items=[{"input": "x"}], idempotency_key=key, check_items=False
    )


async def _start(pa: AsyncPareta, key: str) -> Any:
    return await pa.endpoints.start("ep_1", idempotency_key=key)


async def _stop(pa: AsyncPareta, key: str) -> Any:
    return await pa.endpoints.stop("ep_1", idempotency_key=key)


async def _attach(pa: AsyncPareta, key: str) -> Any:
    document = io.BytesIO(b"%PDF-1.4 tiny")
    return await pa.evals.sets.upload_document(
        "es_1", document, idx=0, field_name="document", idempotency_key=key
    )


ANSWERS: dict[str, tuple[Call, dict[str, Any]]] = {
    "chat": (_chat, COMPLETION),
    "match": (_match, {"candidates": []}),
    "run": (_run, RUN),
    "set": (_set, {"eval_set": {"id": "es_1"}}),
    "start": (_start, {"status": "starting"}),
    "stop": (_stop, {"status": "stopped"}),
    "attach": (_attach, {"ok": True}),
}


@pytest.mark.parametrize("name", sorted(ANSWERS))
async def test_a_post_method_sends_the_callers_key_on_every_attempt(
    name: str, backoff_delays: list[float]
) -> None:
    call, answer = ANSWERS[name]
    recorder = Recorder(json_response(503, {"detail": "busy"}), json_response(200, answer))
    async with mocked(recorder) as pa:
        await call(pa, "job-7.row-42")
    assert [r.headers["idempotency-key"] for r in recorder.requests] == ["job-7.row-42"] * 2
    assert b"idempotency" not in recorder.requests[-1].content


async def test_a_deploy_sends_the_callers_key() -> None:
    complete = sse_events(("complete", {"endpoint": ENDPOINT}))
    recorder = Recorder(lambda request: sse_response(complete))
    async with mocked(recorder) as pa:
        endpoint = await pa.endpoints.deploy(task="t", wait=True, idempotency_key="deploy-1")
    assert endpoint.id == "ep_1"
    assert recorder.last.headers["idempotency-key"] == "deploy-1"
    assert "idempotency_key" not in recorder.body()


async def test_a_chat_stream_sends_the_callers_key() -> None:
    recorder = Recorder(lambda request: sse_response(b"data: [DONE]\n\n"))
    async with mocked(recorder) as pa:
        stream = await pa.chat.completions.create(
            model="ep_1", messages=MESSAGES, stream=True, idempotency_key="stream-1"
        )
        async with stream:
            assert [chunk async for chunk in stream] == []
    assert recorder.last.headers["idempotency-key"] == "stream-1"
    assert "idempotency_key" not in recorder.body()


async def test_an_inline_run_derives_a_key_for_the_set_it_creates() -> None:
    recorder = Recorder(json_response(200, {"eval_set": {"id": "es_9"}}), json_response(200, RUN))
    async with mocked(recorder) as pa:
        await pa.evals.runs.create(
            task="t",
            items=[{"input": "x"}],
            models=["m"],
            idempotency_key="run-1",
            check_items=False,
        )
    keys = [r.headers["idempotency-key"] for r in recorder.requests]
    assert keys == ["run-1.set", "run-1"]


async def test_a_signed_upload_derives_a_key_per_step() -> None:
    ticket = {"upload_url": "https://storage.test/put?sig=1", "token": "t"}
    recorder = Recorder(
        json_response(200, ticket), json_response(200, {}), json_response(200, {"ok": True})
    )
    big = io.BytesIO(b"\0" * (5 * 1024 * 1024))
    async with mocked(recorder) as pa:
        await pa.evals.sets.upload_document(
            "es_1", big, idx=0, field_name="document", mime="application/pdf", idempotency_key="u1"
        )
    keys = [r.headers.get("idempotency-key") for r in recorder.requests]
    assert keys == ["u1.url", None, "u1.complete"]


@pytest.mark.parametrize(
    ("key", "error"),
    [
        ("", ValueError),
        ("has space", ValueError),
        ("x" * 256, ValueError),
        ("naïve", ValueError),
        (42, TypeError),
    ],
)
async def test_a_malformed_key_fails_before_any_request(key: Any, error: type[Exception]) -> None:
    recorder = Recorder(json_response(200, COMPLETION))
    async with mocked(recorder) as pa:
        with pytest.raises(error, match="idempotency_key"):
            await _chat(pa, key)
    assert recorder.requests == []


async def test_the_same_key_from_two_clients_is_billed_once(local: LocalServer, key: str) -> None:
    answers = []
    for _ in range(2):  # two processes' worth of clients, as after a crash and a resume
        async with AsyncPareta(api_key=key, base_url=local.base_url) as pa:
            answers.append(
                await pa.chat.completions.create(
                    model="ep_contract_kie", messages=MESSAGES, idempotency_key="resume-1"
                )
            )
    assert answers[0].id == answers[1].id
    debits = [e for e in local.ledger(key) if e["kind"] == "chat.completion"]
    assert [e["idempotency_key"] for e in debits] == ["resume-1"]
