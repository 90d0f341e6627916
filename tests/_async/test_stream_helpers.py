"""``text_deltas()`` and ``get_final_completion()`` on a chat stream, read once."""

from __future__ import annotations

import pytest

from pareta import ChatCompletion, ParetaError
from tests._async.helpers import mocked
from tests.helpers import Chunks, Recorder, sse_data, sse_response

pytestmark = pytest.mark.anyio

MESSAGES = [{"role": "user", "content": "hi"}]
CHUNKS = [
    {
        "id": "c1",
        "model": "ep_1",
        "created": 7,
        "choices": [{"index": 0, "delta": {"role": "assistant"}}],
    },
    {"id": "c1", "choices": [{"index": 0, "delta": {"content": "Hello"}}]},
    {"id": "c1", "choices": [{"index": 0, "delta": {"content": ", "}}]},
    {"id": "c1", "choices": []},
    {"id": "c1", "choices": [{"index": 0, "delta": {"content": "world"}}]},
    {"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    {
        "id": "c1",
        "choices": [],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
    },
]


def body() -> Chunks:
    # One network chunk per event: the helpers read as the bytes arrive.
    return Chunks([sse_data(chunk, done=False) for chunk in CHUNKS] + [b"data: [DONE]\n\n"])


async def test_text_deltas_then_the_final_completion_read_the_stream_once() -> None:
    chunks = body()
    async with mocked(Recorder(sse_response(chunks))) as pa:
        stream = await pa.chat.completions.create(model="ep_1", messages=MESSAGES, stream=True)
        async with stream:
            assert [text async for text in stream.text_deltas()] == ["Hello", ", ", "world"]
            final = await stream.get_final_completion()
            assert await stream.get_final_completion() == final
    assert chunks.reads == len(CHUNKS) + 1
    assert isinstance(final, ChatCompletion)
    assert final.to_dict() == {
        "object": "chat.completion",
        "id": "c1",
        "model": "ep_1",
        "created": 7,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello, world"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
    }
    assert final.request_id == "req_stream"


async def test_the_final_completion_reads_on_from_a_loop_left_early() -> None:
    async with mocked(Recorder(sse_response(body()))) as pa:
        stream = await pa.chat.completions.create(model="ep_1", messages=MESSAGES, stream=True)
        async with stream:
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    break
            final = await stream.get_final_completion()
    assert final.choices[0].message.content == "Hello, world"
    assert final.usage.total_tokens == 7


async def test_a_closed_stream_gives_what_was_read() -> None:
    async with mocked(Recorder(sse_response(body()))) as pa:
        stream = await pa.chat.completions.create(model="ep_1", messages=MESSAGES, stream=True)
        deltas = stream.text_deltas()
        assert await deltas.__anext__() == "Hello"
        await stream.aclose()
        final = await stream.get_final_completion()
        with pytest.raises(ParetaError, match="read once"):
            stream.text_deltas()
    assert final.choices[0].message.content == "Hello"
    assert final.choices[0].finish_reason is None
    assert "usage" not in final


async def test_several_choices_are_put_back_together_by_index() -> None:
    events = [
        {
            "choices": [
                {"index": 1, "delta": {"content": "b"}},
                {"index": 0, "delta": {"content": "a"}},
            ]
        },
        {"choices": [{"index": 1, "delta": {"content": "B"}, "finish_reason": "length"}]},
        {"choices": [{"delta": {"content": "A"}, "finish_reason": "stop"}, "not a choice"]},
    ]
    async with mocked(Recorder(sse_response(sse_data(*events)))) as pa:
        stream = await pa.chat.completions.create(model="ep_1", messages=MESSAGES, stream=True)
        final = await stream.get_final_completion()
    assert [(c.index, c.message.content, c.finish_reason) for c in final.choices] == [
        (0, "aA", "stop"),
        (1, "bB", "length"),
    ]
    assert final.choices[0].message.role == "assistant"
    assert final.id is None


async def test_a_choice_without_text_reads_none() -> None:
    events = [
        {"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": "length"}]}
    ]
    async with mocked(Recorder(sse_response(sse_data(*events)))) as pa:
        stream = await pa.chat.completions.create(model="ep_1", messages=MESSAGES, stream=True)
        async with stream:
            assert [text async for text in stream.text_deltas()] == []
        final = await stream.get_final_completion()
    assert final.choices[0].message.content is None
