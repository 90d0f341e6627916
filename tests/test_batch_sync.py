"""What only the sync client's batch jobs do."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from pareta import Pareta
from tests.helpers import API_KEY, BASE_URL, Recorder, json_response


async def nothing() -> AsyncIterator[dict[str, object]]:
    yield {"model": "ep_1", "messages": [{"role": "user", "content": "hi"}]}


def test_an_async_iterable_needs_the_async_client() -> None:
    recorder = Recorder(json_response(200, {"choices": []}))
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    rows = nothing()
    with (
        Pareta(api_key=API_KEY, base_url=BASE_URL, http_client=http) as pa,
        pytest.raises(TypeError, match=r"AsyncPareta\.batch"),
    ):
        pa.batch(pa.chat.completions.create, rows).wait()
    assert recorder.requests == []
    http.close()
