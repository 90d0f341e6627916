from __future__ import annotations

import gzip
import json
from typing import Any

import httpx
import pytest

from pareta import (
    APIConnectionError,
    APIResponseValidationError,
    APIStreamError,
    APITimeoutError,
    AsyncStream,
    ChatCompletion,
    ChatCompletionChunk,
    EndpointNotReadyError,
    InsufficientCreditsError,
    ParetaError,
)
from tests._async.helpers import mocked
from tests.helpers import (
    Chunks,
    Recorder,
    json_response,
    sse_data,
    sse_response,
)

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("backoff_delays")]

MESSAGES = [{"role": "user", "content": "Extract the parties."}]
COMPLETION = {
    "id": "chatcmpl-1",
    "model": "qwen-1",
    "created": 1700000000,
    "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "A, B"}}
    ],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    "system_fingerprint": "fp_x",
}
CHUNKS = [
    {"id": "c", "choices": [{"index": 0, "delta": {"role": "assistant"}}]},
    {"id": "c", "choices": [{"index": 0, "delta": {"content": "The"}}]},
    {"id": "c", "choices": [{"index": 0, "delta": {"content": " parties"}}]},
    {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
]


make = mocked


async def open_stream(recorder: Recorder, **client_options: Any) -> AsyncStream:
    """A chat stream from a client whose every request goes to ``recorder``."""
    return await make(recorder, **client_options).chat.completions.create(
        model="ep_1", messages=MESSAGES, stream=True
    )


async def test_create_returns_a_typed_completion() -> None:
    recorder = Recorder(json_response(200, COMPLETION))
    resp = await make(recorder).chat.completions.create(model="ep_contract_kie", messages=MESSAGES)
    assert isinstance(resp, ChatCompletion)
    assert resp.id == "chatcmpl-1"
    assert resp.model == "qwen-1"
    assert resp.created == 1700000000
    assert resp.choices[0].index == 0
    assert resp.choices[0].finish_reason == "stop"
    assert resp.choices[0].message.role == "assistant"
    assert resp.choices[0].message.content == "A, B"
    assert resp.choices[0].delta.content is None
    assert resp.usage.total_tokens == 7
    assert resp["system_fingerprint"] == "fp_x"
    assert resp.to_dict() == COMPLETION
    request = recorder.last
    assert request.method == "POST"
    assert request.url.path == "/v1/chat/completions"
    assert request.headers["content-type"] == "application/json"
    assert recorder.body() == {"model": "ep_contract_kie", "messages": MESSAGES}


async def test_extra_keywords_pass_straight_into_the_body() -> None:
    recorder = Recorder(json_response(200, COMPLETION))
    await make(recorder).chat.completions.create(
        model="ep_1", messages=MESSAGES, temperature=0.2, max_tokens=512, stop=["\n\n"], seed=7
    )
    body = recorder.body()
    assert body["temperature"] == 0.2
    assert body["max_tokens"] == 512
    assert body["stop"] == ["\n\n"]
    assert body["seed"] == 7
    assert "stream" not in body


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"model": "", "messages": MESSAGES}, ValueError),
        ({"model": None, "messages": MESSAGES}, ValueError),
        ({"model": "ep_1", "messages": []}, ValueError),
        ({"model": "ep_1", "messages": "hello"}, TypeError),
        ({"model": "ep_1", "messages": ["hello"]}, TypeError),
        ({"model": 42, "messages": MESSAGES}, TypeError),
    ],
)
async def test_bad_arguments_fail_before_any_request(
    kwargs: dict[str, object], error: type[Exception]
) -> None:
    recorder = Recorder(json_response(200, COMPLETION))
    with pytest.raises(error):
        await make(recorder).chat.completions.create(**kwargs)  # type: ignore[call-overload]
    with pytest.raises(error):
        await make(recorder).chat.completions.create(stream=True, **kwargs)  # type: ignore[call-overload]
    assert recorder.requests == []


async def test_stream_yields_typed_chunks_and_consumes_done() -> None:
    recorder = Recorder(sse_response(sse_data(*CHUNKS)))
    stream = await make(recorder).chat.completions.create(
        model="ep_1", messages=MESSAGES, stream=True, temperature=0
    )
    assert isinstance(stream, AsyncStream)
    assert recorder.requests == []  # nothing is sent until iteration starts
    chunks = [chunk async for chunk in stream]
    assert all(isinstance(chunk, ChatCompletionChunk) for chunk in chunks)
    assert len(chunks) == 4
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "The parties"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    body = recorder.body()
    assert body["stream"] is True
    assert body["temperature"] == 0
    assert recorder.last.headers["accept"] == "text/event-stream"
    assert stream.request_id == "req_stream"


async def test_stream_handshake_is_retried() -> None:
    recorder = Recorder(
        json_response(503, {"detail": "cold"}),
        lambda request: sse_response(sse_data(*CHUNKS)),
    )
    stream = await open_stream(recorder)
    assert len([c async for c in stream]) == 4
    assert len(recorder.requests) == 2
    keys = {r.headers["idempotency-key"] for r in recorder.requests}
    assert len(keys) == 1


async def test_stream_error_status_raises_when_iteration_starts() -> None:
    recorder = Recorder(json_response(402, {"detail": "out of credit"}))
    stream = await open_stream(recorder)
    with pytest.raises(InsufficientCreditsError) as info:
        async for _ in stream:
            pass
    assert info.value.request_id == "req_test"
    assert len(recorder.requests) == 1


async def test_stream_status_error_after_retries() -> None:
    recorder = Recorder(json_response(503, {"detail": "cold"}))
    stream = await open_stream(recorder, max_retries=1)
    with pytest.raises(EndpointNotReadyError):
        await anext(stream)
    assert len(recorder.requests) == 2


async def test_mid_stream_drop_raises_at_once_without_retry() -> None:
    body = Chunks([sse_data(CHUNKS[0], done=False), sse_data(CHUNKS[1])], fail_after=1)
    recorder = Recorder(lambda request: sse_response(body))
    stream = await open_stream(recorder, max_retries=5)
    received = []
    with pytest.raises(APIConnectionError) as info:
        async for chunk in stream:
            received.append(chunk)
    assert len(received) == 1
    assert len(recorder.requests) == 1
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)
    assert body.closed


async def test_mid_stream_read_timeout_raises_timeout_error() -> None:
    class Silent(Chunks):
        def _items(self):  # type: ignore[no-untyped-def]
            yield sse_data(CHUNKS[0], done=False)
            raise httpx.ReadTimeout("silence")

    recorder = Recorder(lambda request: sse_response(Silent([])))
    stream = await open_stream(recorder)
    with pytest.raises(APITimeoutError):
        async for _ in stream:
            pass


async def test_stream_that_ends_without_done_raises() -> None:
    recorder = Recorder(sse_response(sse_data(*CHUNKS, done=False)))
    stream = await open_stream(recorder)
    received = []
    with pytest.raises(APIConnectionError, match=r"\[DONE\]"):
        async for chunk in stream:
            received.append(chunk)
    assert len(received) == 4


async def test_invalid_json_event_names_route_and_request_id() -> None:
    recorder = Recorder(sse_response(sse_data(CHUNKS[0], "{not json")))
    stream = await open_stream(recorder)
    with pytest.raises(APIResponseValidationError) as info:
        async for _ in stream:
            pass
    assert "POST /v1/chat/completions" in str(info.value)
    assert "req_stream" in str(info.value)
    assert info.value.request_id == "req_stream"


async def test_non_object_chunk_is_rejected() -> None:
    recorder = Recorder(sse_response(sse_data([1, 2])))
    stream = await open_stream(recorder)
    with pytest.raises(APIResponseValidationError):
        await anext(stream)


async def test_error_payload_inside_the_stream_raises() -> None:
    error = {"error": {"message": "model crashed", "type": "server_error"}}
    recorder = Recorder(sse_response(sse_data(CHUNKS[0], error)))
    stream = await open_stream(recorder)
    with pytest.raises(APIStreamError) as info:
        async for _ in stream:
            pass
    assert "model crashed" in str(info.value)
    assert info.value.request_id == "req_stream"
    assert info.value.detail == error["error"]


async def test_wrong_content_type_on_a_streaming_route() -> None:
    recorder = Recorder(json_response(200, COMPLETION))
    stream = await open_stream(recorder)
    with pytest.raises(APIResponseValidationError, match="content type"):
        await anext(stream)


async def test_any_split_of_the_stream_gives_the_same_chunks() -> None:
    raw = sse_data(*CHUNKS)
    for size in (1, 2, 3, 7, 64):
        pieces = [raw[i : i + size] for i in range(0, len(raw), size)]
        recorder = Recorder(sse_response(Chunks(pieces)))
        stream = await open_stream(recorder)
        assert [c.to_dict() async for c in stream] == CHUNKS


async def test_blocks_without_data_are_skipped() -> None:
    # httpx-sse's decoder dispatches a block that set only an id or a retry interval.
    body = b"retry: 3000\n\nid: 1\n" + sse_data(CHUNKS[0], done=False) + b": keep-alive\n\n"
    recorder = Recorder(sse_response(body + sse_data(*CHUNKS[1:])))
    stream = await open_stream(recorder)
    assert [c.to_dict() async for c in stream] == CHUNKS


async def test_a_compressed_stream_is_decoded() -> None:
    body = gzip.compress(sse_data(*CHUNKS))
    pieces = [body[i : i + 16] for i in range(0, len(body), 16)]
    headers = {"content-type": "text/event-stream", "content-encoding": "gzip"}
    recorder = Recorder(httpx.Response(200, stream=Chunks(pieces), headers=headers))
    stream = await open_stream(recorder)
    assert [c.to_dict() async for c in stream] == CHUNKS


async def test_chunks_can_be_pulled_one_at_a_time() -> None:
    recorder = Recorder(sse_response(sse_data(*CHUNKS)))
    stream = await open_stream(recorder)
    first = await stream.__anext__()
    assert first.choices[0].delta.role == "assistant"
    assert [c.to_dict() async for c in stream] == CHUNKS[1:]
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


async def test_closing_early_releases_the_response() -> None:
    body = Chunks([sse_data(chunk, done=False) for chunk in CHUNKS] + [sse_data()])
    recorder = Recorder(sse_response(body))
    stream = await open_stream(recorder)
    async with stream:
        async for _ in stream:
            break
    assert body.closed
    assert stream.response is not None
    assert stream.response.is_closed
    with pytest.raises(ParetaError, match="already ended or been closed"):
        [c async for c in stream]  # a closed stream says so rather than look empty
    await stream.aclose()  # and closing twice is fine


async def test_iterating_a_finished_stream_again_says_so() -> None:
    recorder = Recorder(sse_response(sse_data(*CHUNKS)))
    stream = await open_stream(recorder)
    assert len([c async for c in stream]) == len(CHUNKS)
    with pytest.raises(ParetaError, match=r"POST /v1/chat/completions has already ended"):
        [c async for c in stream]
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()  # the iterator protocol itself stays as it was


async def test_a_stream_closed_before_reading_sends_nothing() -> None:
    recorder = Recorder(sse_response(sse_data(*CHUNKS)))
    stream = await open_stream(recorder)
    await stream.aclose()
    assert [c async for c in stream] == []
    assert recorder.requests == []


async def test_exhausted_stream_is_closed() -> None:
    body = Chunks([sse_data(*CHUNKS)])
    recorder = Recorder(sse_response(body))
    stream = await open_stream(recorder)
    chunks = [c async for c in stream]
    assert len(chunks) == 4
    assert body.closed


async def test_non_json_completion_body_is_a_validation_error() -> None:
    recorder = Recorder(httpx.Response(200, text="<html>", headers={"x-request-id": "req_9"}))
    with pytest.raises(APIResponseValidationError) as info:
        await make(recorder).chat.completions.create(model="ep_1", messages=MESSAGES)
    assert "POST /v1/chat/completions" in str(info.value)
    assert "req_9" in str(info.value)


async def test_wrong_json_shape_is_a_validation_error() -> None:
    recorder = Recorder(json_response(200, ["not", "an", "object"]))
    with pytest.raises(APIResponseValidationError):
        await make(recorder).chat.completions.create(model="ep_1", messages=MESSAGES)


async def test_truncated_body_is_a_connection_error() -> None:
    def truncated(request: httpx.Request) -> httpx.Response:
        body = json.dumps(COMPLETION).encode()
        return httpx.Response(
            200, stream=Chunks([body[:10], body[10:]], fail_after=1), headers={"x": "y"}
        )

    recorder = Recorder(truncated)
    with pytest.raises(APIConnectionError):
        await make(recorder, max_retries=1).chat.completions.create(model="ep_1", messages=MESSAGES)
    assert len(recorder.requests) == 2
