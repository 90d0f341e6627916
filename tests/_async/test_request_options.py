"""Per-request options as openai-python users know them: ``with_options``, ``extra_headers``,
``extra_query``, ``extra_body`` and ``timeout`` on every method, request ids on every
response object, and ``with_raw_response``."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pareta import (
    APIResponseValidationError,
    AsyncPareta,
    AsyncStream,
    ChatCompletion,
    EndpointNotReadyError,
    EvalRun,
    ModelList,
)
from pareta._options import NOT_GIVEN
from tests._async.helpers import mocked
from tests.helpers import API_KEY, BASE_URL, Recorder, json_response, sse_data, sse_events

pytestmark = pytest.mark.anyio

MESSAGES = [{"role": "user", "content": "hi"}]
COMPLETION = {"id": "c1", "choices": [{"index": 0, "message": {"content": "ok"}}]}
RUN = {"run": {"id": "run_1", "status": "completed"}, "results": []}
TASK = {"id": "t", "input_schema": {"input": "string"}, "blob_fields": []}
ITEMS = [{"input": "x", "expected": {"a": 1}}]


def answer(request: httpx.Request) -> httpx.Response:
    """Each route's shape, every answer with the request id ``req_<route>``."""
    path = request.url.path
    rid = {"x-request-id": "req_" + path.strip("/").replace("/", "_")}
    if path == "/v1/endpoints" and request.method == "POST":
        body = sse_events(("complete", {"endpoint": {"id": "ep_1", "status": "live"}}))
        headers = {"content-type": "text/event-stream", **rid}
        return httpx.Response(200, content=body, headers=headers)
    if path == "/v1/chat/completions":
        return json_response(200, COMPLETION, **rid)
    if path.startswith("/v1/eval-runs"):
        return json_response(200, RUN, **rid)
    if path.startswith("/v1/tasks/") and not path.endswith(("leaderboard", "match")):
        return json_response(200, TASK, **rid)
    if path == "/v1/eval-sets/es_1" and request.method == "GET":
        return json_response(200, {"id": "es_1", "task_id": "t"}, **rid)
    if path.endswith("blob-upload-url"):
        return json_response(200, {"upload_url": "https://storage.test/put"}, **rid)
    return json_response(200, {"id": "x", "data": [], "recommended": "m"}, **rid)


Call = Callable[[AsyncPareta, dict[str, Any]], Any]

# Every method that sends a request, with the per-request options it is given.
CALLS: dict[str, Call] = {
    "chat.completions.create": lambda pa, o: pa.chat.completions.create(
        model="m", messages=MESSAGES, **o
    ),
    "models.list": lambda pa, o: pa.models.list(**o),
    "endpoints.deploy": lambda pa, o: pa.endpoints.deploy(task="t", wait=True, **o),
    "endpoints.list": lambda pa, o: pa.endpoints.list(**o),
    "endpoints.retrieve": lambda pa, o: pa.endpoints.retrieve("ep_1", **o),
    "endpoints.start": lambda pa, o: pa.endpoints.start("ep_1", **o),
    "endpoints.stop": lambda pa, o: pa.endpoints.stop("ep_1", **o),
    "endpoints.delete": lambda pa, o: pa.endpoints.delete("ep_1", **o),
    "endpoints.metrics.cost": lambda pa, o: pa.endpoints.metrics("ep_1").cost(**o),
    "tasks.list": lambda pa, o: pa.tasks.list(**o),
    "tasks.retrieve": lambda pa, o: pa.tasks.retrieve("t", **o),
    "tasks.match": lambda pa, o: pa.tasks.match("contracts", **o),
    "tasks.leaderboard": lambda pa, o: pa.tasks.leaderboard("t", **o),
    "tasks.recommended": lambda pa, o: pa.tasks.recommended("t", **o),
    "evals.frontier_models": lambda pa, o: pa.evals.frontier_models(**o),
    "evals.sets.create": lambda pa, o: pa.evals.sets.create(task="t", items=ITEMS, **o),
    "evals.sets.list": lambda pa, o: pa.evals.sets.list(**o),
    "evals.sets.retrieve": lambda pa, o: pa.evals.sets.retrieve("es_1", **o),
    "evals.sets.delete": lambda pa, o: pa.evals.sets.delete("es_1", **o),
    "evals.sets.upload_document": lambda pa, o: pa.evals.sets.upload_document(
        "es_1", io.BytesIO(b"%PDF-1.4"), idx=0, field_name="document", **o
    ),
    "evals.runs.create": lambda pa, o: pa.evals.runs.create(
        eval_set="es_1", models=["m"], wait=True, poll_interval=0.01, **o
    ),
    "evals.runs.retrieve": lambda pa, o: pa.evals.runs.retrieve("run_1", **o),
    "evals.runs.wait": lambda pa, o: pa.evals.runs.wait("run_1", **o),
}
# ``timeout`` keeps its documented meaning there: how long to wait for the run.
WAITS = {"evals.runs.create", "evals.runs.wait"}


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_every_method_takes_extra_headers_query_and_timeout(name: str) -> None:
    recorder = Recorder(answer)
    options: dict[str, Any] = {"extra_headers": {"X-Trace": "t-1"}, "extra_query": {"v": "2"}}
    if name not in WAITS:
        options["timeout"] = 7.5
    async with mocked(recorder) as pa:
        await CALLS[name](pa, options)
    assert recorder.requests
    for request in recorder.requests:
        assert request.headers["x-trace"] == "t-1"
        assert request.url.params["v"] == "2"
        if name not in WAITS:
            assert request.extensions["timeout"] == httpx.Timeout(7.5).as_dict()


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_every_response_object_carries_its_request_id(name: str) -> None:
    async with mocked(Recorder(answer)) as pa:
        result = await CALLS[name](pa, {})
    if name == "tasks.recommended":
        assert result == "m"  # a plain string: the raw response has its id (below)
        return
    items = result if isinstance(result, list) else [result]
    for item in items:
        if item is None or type(item) is dict:  # delete, start/stop, uploads: plain JSON
            continue
        assert item.request_id is not None
        assert item.request_id.startswith("req_v1_")
        assert item._request_id == item.request_id


async def test_sdk_keywords_stay_out_of_the_body_and_the_rest_pass_through() -> None:
    recorder = Recorder(json_response(200, COMPLETION))
    async with mocked(recorder) as pa:
        completion = await pa.chat.completions.create(
            model="m",
            messages=MESSAGES,
            temperature=0,
            timeout=5,
            extra_headers={"OpenAI-Beta": "x", "Idempotency-Key": "mine"},
            extra_query={"api-version": "1"},
            extra_body={"seed": 7, "temperature": 0.5},
        )
    sent = recorder.last
    assert recorder.body() == {"model": "m", "messages": MESSAGES, "temperature": 0.5, "seed": 7}
    assert sent.headers["openai-beta"] == "x"
    assert sent.headers["idempotency-key"] == "mine"
    assert sent.url.params["api-version"] == "1"
    assert sent.extensions["timeout"] == httpx.Timeout(5.0).as_dict()
    assert completion.request_id == "req_test"


async def test_extra_body_reaches_a_multipart_form_and_not_the_secondary_requests() -> None:
    recorder = Recorder(answer)
    async with mocked(recorder) as pa:
        await pa.evals.runs.create(
            task="t", items=ITEMS, models=["m"], extra_body={"priority": "low"}, check_items=True
        )
    by_path = {r.url.path: r for r in recorder.requests}
    assert set(by_path) == {"/v1/tasks/t", "/v1/eval-sets", "/v1/eval-runs"}
    assert recorder.body(-1)["priority"] == "low"
    assert b"priority" not in by_path["/v1/eval-sets"].content
    assert by_path["/v1/tasks/t"].content == b""
    recorder.requests.clear()
    async with mocked(recorder) as pa:
        await pa.evals.sets.create(task="t", items=ITEMS, extra_body={"tag": "v1"})
    assert b'name="tag"\r\n\r\nv1' in recorder.last.content


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"extra_headers": ["x"]}, TypeError),
        ({"extra_query": "v=1"}, TypeError),
        ({"extra_body": 3}, TypeError),
        ({"timeout": "5"}, TypeError),
        ({"timeout": True}, TypeError),
    ],
)
async def test_malformed_options_fail_before_any_request(
    options: dict[str, Any], error: type[Exception]
) -> None:
    recorder = Recorder(answer)
    async with mocked(recorder) as pa:
        with pytest.raises(error):
            await pa.models.list(**options)
    assert recorder.requests == []


async def test_with_options_shares_the_pool_and_changes_only_what_is_given(
    backoff_delays: list[float],
) -> None:
    busy = json_response(503, {"detail": "busy"})
    recorder = Recorder(busy, busy, json_response(200, {"data": []}))
    async with mocked(recorder, max_retries=1, call_timeout=50.0) as pa:
        fast = pa.with_options(max_retries=0, timeout=3, max_json_bytes=1024)
        assert fast.http_client is pa.http_client
        assert (fast.max_retries, pa.max_retries) == (0, 1)
        assert fast.timeout == httpx.Timeout(3.0)
        assert fast.bounds.max_json_bytes == 1024
        assert fast.bounds.call_timeout == 50.0  # not given: kept
        assert pa.bounds.max_json_bytes != 1024
        with pytest.raises(EndpointNotReadyError):
            await fast.models.list()  # no retry
        assert len(recorder.requests) == 1
        assert recorder.last.extensions["timeout"] == httpx.Timeout(3.0).as_dict()
        assert isinstance(await pa.models.list(), ModelList)  # the parent still retries
        assert (len(recorder.requests), len(backoff_delays)) == (3, 1)
        # Twice removed, and with None where None means "no limit".
        slow = fast.with_options(call_timeout=None, stream_idle_timeout=None, timeout=None)
        assert slow.http_client is pa.http_client
        assert (slow.bounds.call_timeout, slow.bounds.stream_idle_timeout) == (None, None)
        assert slow.max_retries == 0
        assert slow.timeout == pa.timeout
        await slow.aclose()  # the pool is the parent's: it stays open
        assert not pa.http_client.is_closed
        await pa.models.list()
    assert pa.http_client.is_closed is False  # an injected client is its owner's to close


async def test_with_options_checks_what_it_is_given() -> None:
    async with mocked(Recorder(answer)) as pa:
        with pytest.raises(TypeError, match="max_retries"):
            pa.with_options(max_retries="3")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="max_event_bytes"):
            pa.with_options(max_event_bytes=0)
        assert repr(NOT_GIVEN) == "NOT_GIVEN"
        assert not NOT_GIVEN


async def test_with_options_on_an_sdk_owned_pool() -> None:
    transport = httpx.MockTransport(answer)
    pa = AsyncPareta(api_key=API_KEY, base_url=BASE_URL)
    # The SDK's own pool, swapped for a mock one in place: the derived client must follow.
    pa.http_client._transport = transport
    derived = pa.with_options(max_retries=5)
    assert derived.http_client is pa.http_client
    assert (await derived.models.list()).request_id == "req_v1_models"
    await derived.aclose()
    assert not pa.http_client.is_closed
    await pa.aclose()
    assert derived.http_client.is_closed


async def test_raw_responses_have_status_headers_request_id_and_the_object() -> None:
    recorder = Recorder(answer)
    async with mocked(recorder) as pa:
        raw = await pa.with_raw_response.chat.completions.create(model="m", messages=MESSAGES)
        assert (raw.status_code, raw.request_id) == (200, "req_v1_chat_completions")
        assert raw.headers["content-type"] == "application/json"
        assert raw.url.path == "/v1/chat/completions"
        completion = raw.parse()
        assert isinstance(completion, ChatCompletion)
        assert completion.choices[0].message.content == "ok"
        assert raw.parse() is completion
        assert "APIResponse [200] ChatCompletion" in repr(raw)

        gone = await pa.with_raw_response.endpoints.delete("ep_1")
        assert (gone.status_code, gone.parse()) == (200, None)
        run = await pa.with_raw_response.evals.runs.create(eval_set="es_1", models=["m"])
        assert isinstance(run.parse(), EvalRun)
        deployed = await pa.with_raw_response.endpoints.deploy(task="t", wait=True)
        assert deployed.request_id == "req_v1_endpoints"
        assert deployed.parse().id == "ep_1"
        for name in ("tasks", "evals", "models"):
            assert getattr(pa.with_raw_response, name) is getattr(pa.with_raw_response, name)


async def test_a_raw_stream_is_its_handshake_and_parses_to_the_stream() -> None:
    chunks = sse_data({"choices": [{"index": 0, "delta": {"content": "hi"}}]})
    recorder = Recorder(
        lambda request: httpx.Response(
            200,
            content=chunks,
            headers={"content-type": "text/event-stream", "x-request-id": "req_s"},
        )
    )
    async with mocked(recorder) as pa:
        raw = await pa.with_raw_response.chat.completions.create(
            model="m", messages=MESSAGES, stream=True
        )
        assert len(recorder.requests) == 1  # the handshake is made at once
        assert (raw.status_code, raw.request_id) == (200, "req_s")
        stream = raw.parse()
        assert isinstance(stream, AsyncStream)
        async with stream:
            assert [c.choices[0].delta.content async for c in stream] == ["hi"]
        assert len(recorder.requests) == 1  # and not made again


async def test_a_raw_stream_whose_handshake_fails_raises_and_is_closed() -> None:
    recorder = Recorder(json_response(200, {"not": "a stream"}))
    async with mocked(recorder) as pa:
        with pytest.raises(APIResponseValidationError, match="event stream was expected"):
            await pa.with_raw_response.endpoints.deploy(task="t")


async def test_a_roster_keyword_resolves_with_the_calls_headers_and_query() -> None:
    recorder = Recorder(answer)
    async with mocked(recorder) as pa:
        await pa.evals.runs.create(
            eval_set="es_1",
            models=["m"],
            frontier="all",
            extra_headers={"X-Trace": "t-2"},
            extra_query={"v": "3"},
            extra_body={"priority": "high"},
        )
    paths = [r.url.path for r in recorder.requests]
    assert paths == ["/v1/eval-sets/es_1", "/v1/eval/frontier-models", "/v1/eval-runs"]
    assert all(r.headers["x-trace"] == "t-2" for r in recorder.requests)
    assert all(r.url.params["v"] == "3" for r in recorder.requests)
    assert recorder.body()["priority"] == "high"
    assert recorder.requests[0].content == b""


async def test_extra_body_on_a_call_without_one_is_the_body() -> None:
    recorder = Recorder(answer)
    async with mocked(recorder) as pa:
        await pa.endpoints.start("ep_1", extra_body={"reason": "demo"})
    assert recorder.body() == {"reason": "demo"}
