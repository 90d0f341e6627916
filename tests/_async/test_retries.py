from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from pareta import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncPareta,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    EndpointNotReadyError,
    InsufficientCreditsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from tests._async.helpers import mocked
from tests.helpers import API_KEY, Recorder, json_response

pytestmark = pytest.mark.anyio

RETRYABLE = [408, 409, 429, 500, 502, 503, 504]
NOT_RETRYABLE = [400, 401, 402, 403, 404, 422]
MESSAGES = [{"role": "user", "content": "hi"}]
COMPLETION = {"id": "c1", "choices": [{"message": {"role": "assistant", "content": "ok"}}]}


make = mocked


@pytest.mark.parametrize("status", RETRYABLE)
async def test_retryable_status_is_retried_max_retries_times(
    status: int, backoff_delays: list[float]
) -> None:
    recorder = Recorder(json_response(status, {"detail": "busy"}))
    client = make(recorder, max_retries=3)
    with pytest.raises(APIStatusError) as info:
        await client.models.list()
    assert info.value.status_code == status
    assert len(recorder.requests) == 4
    assert len(backoff_delays) == 3


@pytest.mark.parametrize("status", RETRYABLE)
async def test_retryable_status_recovers(status: int, backoff_delays: list[float]) -> None:
    recorder = Recorder(json_response(status, {"detail": "busy"}), json_response(200, {"data": []}))
    client = make(recorder)
    models = await client.models.list()
    assert len(models) == 0
    assert len(recorder.requests) == 2


@pytest.mark.parametrize("status", NOT_RETRYABLE)
async def test_stable_4xx_is_not_retried(status: int, backoff_delays: list[float]) -> None:
    recorder = Recorder(json_response(status, {"detail": "no"}))
    client = make(recorder, max_retries=5)
    with pytest.raises(APIStatusError):
        await client.models.list()
    assert len(recorder.requests) == 1
    assert backoff_delays == []


async def test_max_retries_zero_sends_once(backoff_delays: list[float]) -> None:
    recorder = Recorder(json_response(503, {"detail": "cold"}))
    client = make(recorder, max_retries=0)
    with pytest.raises(EndpointNotReadyError):
        await client.models.list()
    assert len(recorder.requests) == 1


async def test_backoff_grows_exponentially_with_bounded_jitter(backoff_delays: list[float]) -> None:
    recorder = Recorder(json_response(500, {"detail": "boom"}))
    client = make(recorder, max_retries=6)
    with pytest.raises(APIStatusError):
        await client.models.list()
    bases = [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert len(backoff_delays) == len(bases)
    for delay, base in zip(backoff_delays, bases, strict=True):
        assert base <= delay < base + 0.25


async def test_retry_after_seconds_sets_the_delay(backoff_delays: list[float]) -> None:
    recorder = Recorder(
        json_response(429, {"detail": "slow down"}, **{"retry-after": "7"}),
        json_response(200, {"data": []}),
    )
    client = make(recorder)
    await client.models.list()
    assert backoff_delays == [7.0]


async def test_retry_after_is_capped_at_30_seconds(backoff_delays: list[float]) -> None:
    recorder = Recorder(
        json_response(503, {"detail": "x"}, **{"retry-after": "600"}),
        json_response(200, {"data": []}),
    )
    await make(recorder).models.list()
    assert backoff_delays == [30.0]


async def test_retry_after_http_date(backoff_delays: list[float]) -> None:
    when = email.utils.formatdate(time.time() + 12, usegmt=True)
    recorder = Recorder(
        json_response(503, {"detail": "x"}, **{"retry-after": when}),
        json_response(200, {"data": []}),
    )
    await make(recorder).models.list()
    assert len(backoff_delays) == 1
    assert 9.0 <= backoff_delays[0] <= 12.0


async def test_unparseable_retry_after_falls_back_to_backoff(backoff_delays: list[float]) -> None:
    recorder = Recorder(
        json_response(503, {"detail": "x"}, **{"retry-after": "soon"}),
        json_response(200, {"data": []}),
    )
    await make(recorder).models.list()
    assert 0.5 <= backoff_delays[0] < 0.75


async def test_connection_errors_are_retried_then_raised(backoff_delays: list[float]) -> None:
    calls = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("connection refused", request=request)

    client = make(Recorder(refuse), max_retries=2)
    with pytest.raises(APIConnectionError) as info:
        await client.models.list()
    assert not isinstance(info.value, APITimeoutError)
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert "GET /v1/models" in str(info.value)
    assert len(calls) == 3


async def test_timeouts_raise_api_timeout_error(backoff_delays: list[float]) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client = make(Recorder(slow), max_retries=1)
    with pytest.raises(APITimeoutError) as info:
        await client.models.list()
    assert isinstance(info.value, APIConnectionError)
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)


async def test_connection_error_then_success(backoff_delays: list[float]) -> None:
    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("dropped", request=request)

    recorder = Recorder(drop, json_response(200, COMPLETION))
    client = make(recorder)
    completion = await client.chat.completions.create(model="ep_1", messages=MESSAGES)
    assert completion.choices[0].message.content == "ok"


async def test_unsupported_protocol_is_not_retried(backoff_delays: list[float]) -> None:
    client = AsyncPareta(api_key=API_KEY, base_url="http://localhost:1")
    client._client.base_url = "ftp://example.test"
    with pytest.raises(APIConnectionError):
        await client.models.list()
    assert backoff_delays == []
    await client.aclose()


async def test_post_carries_one_idempotency_key_across_retries(backoff_delays: list[float]) -> None:
    recorder = Recorder(
        json_response(503, {"detail": "x"}),
        json_response(502, {"detail": "x"}),
        json_response(200, COMPLETION),
    )
    client = make(recorder)
    await client.chat.completions.create(model="ep_1", messages=MESSAGES)
    await client.chat.completions.create(model="ep_1", messages=MESSAGES)
    keys = [r.headers["idempotency-key"] for r in recorder.requests]
    assert len(keys) == 4
    assert keys[0] == keys[1] == keys[2]
    assert keys[3] != keys[0]


async def test_get_carries_no_idempotency_key() -> None:
    recorder = Recorder(json_response(200, {"data": []}))
    await make(recorder).models.list()
    assert "idempotency-key" not in recorder.last.headers


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (402, InsufficientCreditsError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, BadRequestError),
        (429, RateLimitError),
        (503, EndpointNotReadyError),
    ],
)
async def test_status_maps_to_its_exception(
    status: int, cls: type[APIStatusError], backoff_delays: list[float]
) -> None:
    recorder = Recorder(json_response(status, {"detail": "it went wrong"}))
    with pytest.raises(cls) as info:
        await make(recorder, max_retries=0).endpoints.retrieve("ep_x")
    error = info.value
    assert type(error) is cls
    assert error.status_code == status
    assert error.detail == "it went wrong"
    assert str(error) == "it went wrong"
    assert error.request_id == "req_test"
    assert error.response is not None
    assert error.response.status_code == status


@pytest.mark.parametrize("status", [500, 502, 504, 418])
async def test_other_statuses_are_plain_api_status_errors(
    status: int, backoff_delays: list[float]
) -> None:
    recorder = Recorder(json_response(status, {"detail": "x"}))
    with pytest.raises(APIStatusError) as info:
        await make(recorder, max_retries=0).models.list()
    assert type(info.value) is APIStatusError


async def test_non_json_error_body_becomes_the_detail() -> None:
    recorder = Recorder(httpx.Response(500, text="<html>bad gateway</html>"))
    with pytest.raises(APIStatusError) as info:
        await make(recorder, max_retries=0).models.list()
    assert info.value.detail == "<html>bad gateway</html>"
    assert info.value.request_id is None


async def test_empty_error_body_reads_http_code() -> None:
    recorder = Recorder(httpx.Response(502))
    with pytest.raises(APIStatusError) as info:
        await make(recorder, max_retries=0).models.list()
    assert str(info.value) == "HTTP 502"
    assert info.value.hint == "HTTP 502 from GET /v1/models"
    assert info.value.detail is None


async def test_validation_detail_list_is_kept_structured() -> None:
    detail = [{"loc": ["body", "model"], "msg": "field required", "type": "missing"}]
    recorder = Recorder(json_response(422, {"detail": detail}))
    with pytest.raises(BadRequestError) as info:
        await make(recorder).models.list()
    assert info.value.detail == detail
    assert "field required" in str(info.value)
