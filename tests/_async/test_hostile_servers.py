"""Servers that misbehave on purpose: every call ends in a typed error, within its limits.

The servers (tests/hostile.py) speak raw HTTP over real sockets. Each byte limit is set
to 1 MiB here so the tests stay small; Python's allocations during a call must stay
under twice that.
"""

from __future__ import annotations

import gzip
import logging
from typing import Any

import httpx
import pytest

from pareta import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AsyncPareta,
    ParetaError,
)
from tests import hostile
from tests.helpers import (
    API_KEY,
    Chunks,
    Recorder,
    json_response,
    sse_data,
    sse_events,
    sse_response,
    transport,
)
from tests.hostile import HostileServer, MiB, peak_memory

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


async def read_stream(client: AsyncPareta) -> None:
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    async with stream:
        async for _ in stream:
            pass


async def test_an_endless_event_line_stops_at_max_event_bytes() -> None:
    with HostileServer(hostile.endless_event_line) as server:
        async with client_of(server) as client:
            with (
                peak_memory() as peak,
                pytest.raises(APIResponseValidationError, match="max_event_bytes=1048576"),
            ):
                await read_stream(client)
    assert peak[0] < 2 * LIMIT


async def test_an_endless_body_of_the_wrong_type_is_read_only_in_part() -> None:
    with HostileServer(hostile.endless_html) as server:
        async with client_of(server) as client:
            with (
                peak_memory() as peak,
                pytest.raises(APIResponseValidationError, match="text/html") as info,
            ):
                await read_stream(client)
    assert peak[0] < 2 * LIMIT
    assert "POST /v1/chat/completions" in str(info.value)
    assert info.value.response is not None
    assert len(info.value.response.content) == LIMIT


@pytest.mark.slow
async def test_a_gzip_bomb_stops_at_max_decoded_bytes() -> None:
    with HostileServer(hostile.gzip_bomb(64 * MiB)) as server:
        async with client_of(server, max_json_bytes=4 * MiB) as client:
            with (
                peak_memory() as peak,
                pytest.raises(
                    APIResponseValidationError, match="max_decoded_bytes=1048576"
                ) as info,
            ):
                await client.models.list()
    assert peak[0] < 2 * LIMIT
    assert "GET /v1/models" in str(info.value)


@pytest.mark.slow
async def test_a_gzip_bomb_within_max_decoded_bytes_still_stops_at_max_json_bytes() -> None:
    with HostileServer(hostile.gzip_bomb(64 * MiB)) as server:
        async with client_of(server, max_decoded_bytes=8 * MiB) as client:
            with (
                peak_memory() as peak,
                pytest.raises(APIResponseValidationError, match="max_json_bytes=1048576"),
            ):
                await client.models.list()
    assert peak[0] < 2 * LIMIT


@pytest.mark.slow
async def test_a_gzip_bomb_on_a_stream_stops_at_max_decoded_bytes() -> None:
    with HostileServer(hostile.gzip_bomb(64 * MiB, "text/event-stream")) as server:
        async with client_of(server, max_event_bytes=16 * MiB) as client:
            with (
                peak_memory() as peak,
                pytest.raises(APIResponseValidationError, match="max_decoded_bytes=1048576"),
            ):
                await read_stream(client)
    assert peak[0] < 2 * LIMIT


async def test_a_huge_error_page_becomes_a_bounded_error() -> None:
    with HostileServer(hostile.huge_error_page(200 * MiB)) as server:
        async with client_of(server) as client:
            with peak_memory() as peak, pytest.raises(APIStatusError) as info:
                await client.models.list()
    # What was read is held once, as the response's bytes: the detail's text is decoded
    # when it is first read, below.
    assert peak[0] < 2 * LIMIT
    error = info.value
    assert error.status_code == 500
    assert isinstance(error.detail, str)
    assert len(error.detail) == LIMIT
    assert len(str(error)) < 2100
    assert str(error).endswith(f"({LIMIT - 2000:,} more bytes)")


async def test_a_trickling_body_ends_at_call_timeout() -> None:
    with HostileServer(hostile.trickle) as server:
        async with client_of(server, timeout=5.0, call_timeout=0.5) as client:
            with pytest.raises(APITimeoutError, match=r"GET /v1/models .*call_timeout=0\.5s"):
                await client.models.list()


async def test_endless_informational_answers_end_at_call_timeout() -> None:
    with HostileServer(hostile.endless_1xx) as server:
        async with client_of(server, timeout=5.0, call_timeout=0.5) as client:
            with pytest.raises(APITimeoutError, match=r"GET /v1/models .*call_timeout=0\.5s"):
                await client.models.list()


async def test_endless_informational_answers_end_a_stream_at_stream_idle_timeout() -> None:
    with HostileServer(hostile.endless_1xx) as server:
        async with client_of(server, timeout=5.0, stream_idle_timeout=0.5) as client:
            with pytest.raises(APITimeoutError, match=r"stream_idle_timeout=0\.5s"):
                await read_stream(client)


async def test_a_stream_of_keep_alives_only_ends_at_stream_idle_timeout() -> None:
    with HostileServer(hostile.keep_alives_only) as server:
        async with client_of(server, timeout=5.0, stream_idle_timeout=1.0) as client:
            with pytest.raises(APITimeoutError, match=r"sent no event for stream_idle_timeout=1s"):
                await read_stream(client)


async def test_timeout_still_bounds_each_read_within_call_timeout() -> None:
    with HostileServer(hostile.silent) as server:
        async with client_of(server, timeout=0.3, call_timeout=30.0) as client:
            with pytest.raises(APITimeoutError, match=r"request timed out: GET /v1/models"):
                await client.models.list()


async def test_a_retry_that_would_outlive_call_timeout_is_not_made() -> None:
    script = hostile.fixed("503 Service Unavailable", "application/json", b"{}")
    with HostileServer(script) as server:
        async with client_of(server, max_retries=5, call_timeout=0.2) as client:
            with pytest.raises(APITimeoutError, match=r"call_timeout=0\.2s"):
                await client.models.list()
        assert server.connections == 1  # the first backoff already ends past the deadline


async def test_deadlines_can_be_lifted() -> None:
    script = hostile.fixed("200 OK", "application/json", b'{"data": []}')
    with HostileServer(script) as server:
        async with client_of(server, call_timeout=None, stream_idle_timeout=None) as client:
            assert len(await client.models.list()) == 0
            assert client.bounds.call_timeout is None


@pytest.mark.parametrize("status", ["200 OK", "400 Bad Request"])
async def test_deeply_nested_json_is_a_typed_error(status: str) -> None:
    script = hostile.fixed(status, "application/json", b"[" * 100_000)
    with HostileServer(script) as server:
        async with client_of(server) as client:
            with pytest.raises(ParetaError) as info:
                await client.models.list()
    if status == "200 OK":
        assert type(info.value) is APIResponseValidationError
        assert "GET /v1/models returned JSON nested too deeply" in str(info.value)
    else:
        assert isinstance(info.value, APIStatusError)
        assert info.value.detail == "[" * 100_000  # kept as text, the message bounded
        assert len(str(info.value)) < 2100


async def test_a_deeply_nested_event_is_a_typed_error() -> None:
    body = b"data: " + b"[" * 100_000 + b"\n\n"
    with HostileServer(hostile.fixed("200 OK", "text/event-stream", body)) as server:
        async with client_of(server) as client:
            with pytest.raises(APIResponseValidationError, match="not valid JSON"):
                await read_stream(client)


async def test_a_call_after_close_is_a_pareta_error() -> None:
    client = AsyncPareta(api_key=API_KEY, base_url="http://127.0.0.1:9")
    await client.aclose()
    with pytest.raises(ParetaError, match="this client is closed"):
        await client.models.list()


async def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_json_bytes must be a positive int"):
        AsyncPareta(api_key=API_KEY, max_json_bytes=0)
    with pytest.raises(ValueError, match="call_timeout must be a positive number"):
        AsyncPareta(api_key=API_KEY, call_timeout=-1)


# Control characters and unbounded server text: over mocked transports, because h11 itself
# refuses a header that carries them.

ANSI = "\x1b[2J\x1b[31mred\x07"
BIDI = "\u202egnp.exe"


async def test_server_text_in_messages_is_escaped() -> None:
    recorder = Recorder(json_response(404, {"detail": ANSI + BIDI}, **{"x-request-id": ANSI}))
    client = AsyncPareta(
        api_key=API_KEY,
        base_url="https://api.test",
        http_client=httpx.AsyncClient(transport=transport(recorder)),
    )
    with pytest.raises(APIStatusError) as info:
        await client.models.list()
    assert str(info.value) == "\\x1b[2J\\x1b[31mred\\x07\\u202egnp.exe"
    assert info.value.detail == ANSI + BIDI  # the data itself is kept as sent
    bad = Recorder(httpx.Response(200, content=b"{", headers={"x-request-id": ANSI}))
    client = AsyncPareta(
        api_key=API_KEY,
        base_url="https://api.test",
        http_client=httpx.AsyncClient(transport=transport(bad)),
    )
    with pytest.raises(APIResponseValidationError) as invalid:
        await client.models.list()
    assert "\x1b" not in str(invalid.value)
    assert "request id \\x1b[2J" in str(invalid.value)


async def test_request_ids_in_log_lines_are_escaped(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(json_response(200, {"data": []}, **{"x-request-id": ANSI}))
    client = AsyncPareta(
        api_key=API_KEY,
        base_url="https://api.test",
        http_client=httpx.AsyncClient(transport=transport(recorder)),
    )
    with caplog.at_level(logging.INFO, logger="pareta"):
        await client.models.list()
    assert "request_id=\\x1b[2J\\x1b[31mred\\x07 " in caplog.text
    assert "\x1b" not in caplog.text


async def test_a_bare_status_names_the_route_and_the_redirect() -> None:
    recorder = Recorder(httpx.Response(302, headers={"location": "https://elsewhere.test/v1"}))
    client = AsyncPareta(
        api_key=API_KEY,
        base_url="https://api.test",
        http_client=httpx.AsyncClient(transport=transport(recorder)),
    )
    with pytest.raises(APIStatusError) as info:
        await client.models.list()
    # The documented message, exactly; the route and the redirect travel beside it.
    assert str(info.value) == "HTTP 302"
    where = (
        "HTTP 302 from GET /v1/models, redirected to https://elsewhere.test/v1; "
        "the SDK does not follow redirects: check base_url"
    )
    assert info.value.hint == where
    assert getattr(info.value, "__notes__", None) == [where]


async def test_an_encoding_the_sdk_did_not_ask_for_is_a_typed_error() -> None:
    body = Chunks([b"\x00\x01"])
    recorder = Recorder(httpx.Response(200, stream=body, headers={"content-encoding": "br"}))
    client = AsyncPareta(
        api_key=API_KEY,
        base_url="https://api.test",
        http_client=httpx.AsyncClient(transport=transport(recorder)),
    )
    with pytest.raises(APIResponseValidationError, match="content-encoding 'br'"):
        await client.models.list()
    assert recorder.last.headers["accept-encoding"] == "gzip, deflate"


def mocked_client(response: httpx.Response, **kwargs: Any) -> AsyncPareta:
    return AsyncPareta(
        api_key=API_KEY,
        base_url="https://api.test",
        http_client=httpx.AsyncClient(transport=transport(Recorder(response))),
        **kwargs,
    )


async def test_a_body_already_in_memory_is_held_to_the_same_limits() -> None:
    # A transport that hands over bodies already read (a mock's) is checked all the same.
    big = json_response(200, {"data": ["x" * 100]})
    with pytest.raises(APIResponseValidationError, match="max_json_bytes=50"):
        await mocked_client(big, max_json_bytes=50).models.list()
    page = httpx.Response(500, text="e" * 100)
    with pytest.raises(APIStatusError) as info:
        await mocked_client(page, max_error_bytes=10, max_retries=0).models.list()
    assert info.value.detail == "e" * 10


async def test_a_compressed_stream_is_decoded_to_its_end() -> None:
    chunks = [
        {"id": "c", "choices": [{"index": 0, "delta": {"content": str(n)}}]} for n in range(3)
    ]
    body = gzip.compress(sse_data(*chunks, done=False))
    response = httpx.Response(
        200,
        stream=Chunks([body[:10], body[10:]]),
        headers={"content-type": "text/event-stream", "content-encoding": "gzip"},
    )
    stream = await mocked_client(response).chat.completions.create(
        model="m", messages=MESSAGES, stream=True
    )
    seen = []
    with pytest.raises(APIConnectionError, match=r"ended before \[DONE\]"):
        async for chunk in stream:
            seen.append(chunk.choices[0].delta.content)
    assert seen == ["0", "1", "2"]


async def test_a_deploy_error_from_the_server_is_escaped() -> None:
    response = sse_response(sse_events(("error", {"message": ANSI + "x" * 5000})))
    with pytest.raises(ParetaError) as info:
        await mocked_client(response).endpoints.deploy(task="contract-key-fields", wait=True)
    assert "failed: \\x1b[2J\\x1b[31mred\\x07xxx" in str(info.value)
    assert "\x1b" not in str(info.value)
    assert len(str(info.value)) < 2100
