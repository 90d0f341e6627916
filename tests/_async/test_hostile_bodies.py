"""Answers built to cost the client: small on the wire, huge once decoded or parsed, in
odd charsets, or with errors inside a stream. Each ends in a typed error within bounds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pareta import (
    APIConnectionError,
    APIResponseValidationError,
    APIStreamError,
    AsyncPareta,
    BadRequestError,
    NotFoundError,
)
from tests import hostile
from tests.helpers import API_KEY
from tests.hostile import REQUEST_ID, HostileServer, MiB, peak_memory

pytestmark = pytest.mark.anyio

LIMIT = 1 * MiB
BYTE_LIMITS = {
    "max_event_bytes": LIMIT,
    "max_json_bytes": LIMIT,
    "max_decoded_bytes": LIMIT,
    "max_error_bytes": LIMIT,
}
MESSAGES = [{"role": "user", "content": "hi"}]


def client_of(server: HostileServer, **kwargs: Any) -> AsyncPareta:
    options: dict[str, Any] = {"max_retries": 0, "timeout": 10.0, **BYTE_LIMITS, **kwargs}
    return AsyncPareta(api_key=API_KEY, base_url=server.base_url, **options)


async def read_stream(client: AsyncPareta) -> list[Any]:
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    async with stream:
        return [chunk async for chunk in stream]


async def test_a_compressed_stream_of_blank_lines_costs_no_more_than_its_limit() -> None:
    # After one ``id:`` line every blank line is an event (without data): 8 KiB on the
    # wire, a million events once inflated.
    done = b"data: [DONE]\n\n"
    body = b"id: 1\n" + b"\n" * (LIMIT - 100) + done
    with HostileServer(hostile.gzipped(body, "text/event-stream")) as server:
        async with client_of(server) as client:
            with peak_memory() as peak:
                assert await read_stream(client) == []
    assert peak[0] < 2 * LIMIT


async def test_compressed_json_that_would_swell_when_parsed_is_refused() -> None:
    # ``{}`` is 3 bytes on the wire and about 70 in memory: 25x max_json_bytes, parsed.
    count = (LIMIT - 2) // 3
    body = b"[" + b",".join([b"{}"] * count) + b"]"
    with HostileServer(hostile.gzipped(body)) as server:
        async with client_of(server) as client:
            with (
                peak_memory() as peak,
                pytest.raises(APIResponseValidationError, match="max_json_bytes=1048576"),
            ):
                await client.models.list()
    assert peak[0] < 2 * LIMIT


@pytest.mark.parametrize("charset", ["rot13", "base64", "hex", "zlib", "idna", "punycode"])
@pytest.mark.parametrize(
    ("content_type", "body"),
    [("application/json", b'{"detail": "no such model"}'), ("text/plain", b"no such model")],
)
async def test_an_error_body_in_a_charset_that_is_not_text_is_read_as_utf8(
    charset: str, content_type: str, body: bytes
) -> None:
    script = hostile.fixed("404 Not Found", f"{content_type}; charset={charset}", body)
    with HostileServer(script) as server:
        async with client_of(server) as client:
            with pytest.raises(NotFoundError) as info:
                await client.models.list()
    assert info.value.detail == "no such model"
    assert str(info.value) == "no such model"


def sse(*frames: str) -> bytes:
    return "".join(f"{frame}\n\n" for frame in frames).encode()


CHUNK = 'data: {"id": "c", "choices": [{"index": 0, "delta": {"content": "hi"}}]}'


async def test_an_error_event_raises_the_servers_error() -> None:
    body = sse(CHUNK, 'event: error\ndata: {"error": {"message": "overloaded", "code": 529}}')
    with HostileServer(hostile.fixed("200 OK", "text/event-stream", body)) as server:
        async with client_of(server) as client:
            seen: list[str | None] = []
            with pytest.raises(APIStreamError) as info:
                await read_stream_items(client, seen)
    assert seen == ["hi"]
    assert info.value.detail == {"message": "overloaded", "code": 529}
    assert "reported an error mid-stream: overloaded" in str(info.value)
    assert info.value.request_id == REQUEST_ID


async def test_an_error_event_in_plain_text_is_still_an_error() -> None:
    body = sse(CHUNK, "event: error\ndata: upstream went away")
    with HostileServer(hostile.fixed("200 OK", "text/event-stream", body)) as server:
        async with client_of(server) as client:
            with pytest.raises(APIStreamError, match="upstream went away") as info:
                await read_stream(client)
    assert info.value.detail == "upstream went away"


async def test_a_null_error_in_a_chunk_is_not_an_error() -> None:
    chunk = '{"id": "c", "error": null, "choices": [{"index": 0, "delta": {"content": "ok"}}]}'
    body = sse(f"data: {chunk}", "data: [DONE]")
    with HostileServer(hostile.fixed("200 OK", "text/event-stream", body)) as server:
        async with client_of(server) as client:
            chunks = await read_stream(client)
    assert [chunk.choices[0].delta.content for chunk in chunks] == ["ok"]


async def test_the_usage_chunk_is_not_delivered_and_its_usage_is_kept() -> None:
    # What an OpenAI-compatible server sends last with stream_options.include_usage.
    usage = '{"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}'
    body = sse(CHUNK, f'data: {{"id": "c", "choices": [], "usage": {usage}}}', "data: [DONE]")
    with HostileServer(hostile.fixed("200 OK", "text/event-stream", body)) as server:
        async with client_of(server) as client:
            stream = await client.chat.completions.create(
                model="m",
                messages=MESSAGES,
                stream=True,
                stream_options={"include_usage": True},
            )
            texts = []
            async with stream:
                assert stream.usage is None
                async for chunk in stream:
                    texts.append(chunk.choices[0].delta.content or "")  # the README's loop
            assert texts == ["hi"]
            assert stream.usage is not None
            assert stream.usage.total_tokens == 4


async def read_stream_items(client: AsyncPareta, seen: list[str | None]) -> None:
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    async with stream:
        async for chunk in stream:
            seen.append(chunk.choices[0].delta.content)


def answer_with(status: str, content_type: str, body: bytes, request_id: str) -> hostile.Script:
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\n"
        f"content-length: {len(body)}\r\nx-request-id: {request_id}\r\n\r\n"
    ).encode()

    def script(conn: hostile.Connection) -> None:
        conn.read_request()
        conn.send(head + body)
        while True:
            conn.pause()

    return script


def detail(text: str) -> bytes:
    return json.dumps({"detail": text}).encode()  # ASCII: escapes in the JSON itself


async def status_message(text: str) -> str:
    script = hostile.fixed("400 Bad Request", "application/json", detail(text))
    with HostileServer(script) as server:
        async with client_of(server) as client:
            with pytest.raises(BadRequestError) as info:
                await client.models.list()
    assert info.value.detail == text  # the data is kept as sent
    return str(info.value)


async def test_a_message_is_escaped_before_it_is_cut() -> None:
    message = await status_message("\u202e" * 2500)
    assert "\u202e" not in message
    assert message.startswith("\\u202e" * 10)
    assert len(message) < 2100


async def test_a_lone_surrogate_in_a_detail_prints() -> None:
    message = await status_message("bad \ud800 value")
    assert message == "bad \\ud800 value"
    message.encode("utf-8")  # what print() does to a terminal: it must not raise


@pytest.mark.parametrize("char", ["\u061c", "\u2028", "\u2029", "\ufeff", "\u2066", "\u200f"])
async def test_invisible_and_separator_characters_are_escaped(char: str) -> None:
    message = await status_message(f"a{char}b")
    assert message == "a" + ascii(char)[1:-1] + "b"


@pytest.mark.parametrize("body", [b'data: {"choices": []}\n\n', b""])
async def test_the_request_id_in_an_early_end_of_stream_is_escaped_and_bounded(
    body: bytes,
) -> None:
    request_id = "req_" + "\u202e" * 10 + "x" * 10_100
    script = answer_with("200 OK", "text/event-stream", body, request_id)
    with HostileServer(script) as server:
        async with client_of(server) as client:
            with pytest.raises(APIConnectionError, match=r"ended before \[DONE\]") as info:
                await read_stream(client)
    message = str(info.value)
    assert "\u202e" not in message
    assert "req_\\u202e" in message
    assert len(message) < 400
    assert info.value.__class__ is APIConnectionError
