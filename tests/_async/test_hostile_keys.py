"""The API key never travels: not in a message, a log line, a pickled error or a header
it cannot be sent in. A key is checked when the client is made (tests/hostile.py servers)."""

from __future__ import annotations

import logging
import pickle
from typing import Any

import cloudpickle
import pytest

from pareta import (
    APIResponseValidationError,
    APIStatusError,
    AsyncPareta,
    BadRequestError,
    ParetaError,
)
from tests import hostile
from tests.hostile import REQUEST_ID, HostileServer

pytestmark = pytest.mark.anyio

KEY = "pareta_sk_live_5ecret0123456789abcdef"


def client_of(server: HostileServer, api_key: str = KEY, **kwargs: Any) -> AsyncPareta:
    return AsyncPareta(api_key=api_key, base_url=server.base_url, max_retries=0, **kwargs)


def authorization(head: bytes) -> bytes:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.lower() == b"authorization":
            return value.strip()
    raise AssertionError("no authorization header")


@pytest.mark.parametrize("padded", [KEY + "\n", KEY + "\r\n", f"  {KEY}\t\n"])
async def test_a_key_read_from_a_file_is_sent_without_its_newline(
    padded: str, caplog: pytest.LogCaptureFixture
) -> None:
    script = hostile.fixed("200 OK", "application/json", b'{"data": []}')
    with HostileServer(script) as server, caplog.at_level(logging.DEBUG):
        async with client_of(server, api_key=padded) as client:
            assert len(await client.models.list()) == 0
    assert [authorization(head) for head in server.heads] == [f"Bearer {KEY}".encode()]
    assert KEY not in caplog.text


@pytest.mark.parametrize(
    ("key", "what"),
    [
        (f"{KEY[:12]}\0{KEY[12:]}", "control character at position 13"),
        (f"{KEY[:12]}\r\n{KEY[12:]}", "control character at position 13"),
        (f"{KEY[:12]}é{KEY[12:]}", "non-ASCII character at position 13"),
        (f"{KEY[:12]}\u202e{KEY[12:]}", "control character at position 13"),
        (f"{KEY[:12]} {KEY[12:]}", "space at position 13"),
    ],
)
async def test_a_key_no_header_can_carry_is_refused_without_showing_it(
    key: str, what: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ParetaError) as given:
        AsyncPareta(api_key=key, base_url="http://127.0.0.1:9")
    failures = [(given, "api_key")]
    if "\0" not in key:  # an environment variable cannot hold one
        monkeypatch.setenv("PARETA_API_KEY", key)
        with pytest.raises(ParetaError) as from_env:
            AsyncPareta(base_url="http://127.0.0.1:9")
        failures.append((from_env, "PARETA_API_KEY"))
    for info, source in failures:
        message = str(info.value)
        assert message.startswith(f"the API key from {source} has a character")
        assert what in message
        assert "the key is not shown" in message
        assert KEY[:12] not in message
        assert KEY[12:] not in message


async def test_a_blank_key_is_a_missing_key() -> None:
    with pytest.raises(ParetaError, match="missing API key"):
        AsyncPareta(api_key=" \n", base_url="http://127.0.0.1:9")


def assert_travels_without_the_key(error: ParetaError) -> ParetaError:
    for dumps in (pickle.dumps, cloudpickle.dumps):
        data = dumps(error)
        assert KEY.encode() not in data
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.__dict__.keys() == error.__dict__.keys()
    assert KEY not in str(copy) and KEY not in repr(copy)
    return copy


async def test_status_errors_pickle_without_the_key_and_unpickle() -> None:
    body = b'{"detail": "bad request"}'
    with HostileServer(hostile.fixed("400 Bad Request", "application/json", body)) as server:
        async with client_of(server) as client:
            with pytest.raises(BadRequestError) as info:
                await client.models.list()
    copy = assert_travels_without_the_key(info.value)
    assert isinstance(copy, BadRequestError)
    assert (copy.status_code, copy.detail, copy.request_id) == (400, "bad request", REQUEST_ID)
    assert copy.response is not None
    assert copy.response.json() == {"detail": "bad request"}
    assert copy.response.request.url.path == "/v1/models"
    assert "authorization" not in copy.response.request.headers


async def test_an_unmapped_status_error_unpickles() -> None:
    script = hostile.fixed("418 I'm a teapot", "text/plain", b"short and stout")
    with HostileServer(script) as server:
        async with client_of(server) as client:
            with pytest.raises(APIStatusError) as info:
                await client.models.list()
    assert type(info.value) is APIStatusError
    copy = assert_travels_without_the_key(info.value)
    assert isinstance(copy, APIStatusError)
    assert (copy.status_code, copy.detail) == (418, "short and stout")


async def test_validation_errors_pickle_without_the_key() -> None:
    with HostileServer(hostile.fixed("200 OK", "application/json", b"{")) as server:
        async with client_of(server) as client:
            with pytest.raises(APIResponseValidationError) as info:
                await client.models.list()
    copy = assert_travels_without_the_key(info.value)
    assert isinstance(copy, APIResponseValidationError)
    assert copy.request_id == REQUEST_ID


async def test_stream_and_connection_errors_pickle_without_the_key() -> None:
    body = b'data: {"error": {"message": "overloaded"}}\n\n'
    with HostileServer(hostile.fixed("200 OK", "text/event-stream", body)) as server:
        async with client_of(server) as client:
            stream = await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            with pytest.raises(ParetaError) as streamed:
                async with stream:
                    async for _ in stream:
                        pass
    assert_travels_without_the_key(streamed.value)
    async with AsyncPareta(api_key=KEY, base_url="http://127.0.0.1:9", max_retries=0) as client:
        with pytest.raises(ParetaError) as refused:
            await client.models.list()
    assert_travels_without_the_key(refused.value)
