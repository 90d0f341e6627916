"""A request body abandoned half-sent (a connection dropped) leaves nothing to warn about."""

from __future__ import annotations

import gc

import httpx
import pytest

from pareta import APIConnectionError, AsyncPareta
from tests.helpers import API_KEY, BASE_URL

pytestmark = pytest.mark.anyio
MESSAGES = [{"role": "user", "content": "hi"}]


class DropsWhileSending(httpx.AsyncBaseTransport):
    """Starts sending each request's body, then the connection drops, as httpcore does."""

    def __init__(self) -> None:
        self.attempts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        assert isinstance(request.stream, httpx.AsyncByteStream)
        async for chunk in request.stream:
            assert b'"messages"' in chunk
            raise httpx.WriteError("connection dropped while sending", request=request)
        raise AssertionError("the body was empty")


@pytest.mark.slow
async def test_a_body_abandoned_mid_send_is_retried_and_leaves_no_generator(
    backoff_delays: list[float],
) -> None:
    transport = DropsWhileSending()
    http = httpx.AsyncClient(transport=transport)
    async with AsyncPareta(api_key=API_KEY, base_url=BASE_URL, http_client=http) as pa:
        with pytest.raises(APIConnectionError, match="WriteError"):
            await pa.chat.completions.create(model="ep_1", messages=MESSAGES)
    await http.aclose()
    assert transport.attempts == 3  # the same body, sent again on each retry
    # Under trio, a half-iterated async generator warns when collected (an error here).
    gc.collect()
