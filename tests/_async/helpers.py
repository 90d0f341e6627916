"""Clients over a scripted ``MockTransport``, for the tests written once for both twins."""

from __future__ import annotations

from typing import Any

import httpx

from pareta import AsyncPareta
from tests.helpers import API_KEY, BASE_URL, Recorder, transport


def mocked(recorder: Recorder, **kwargs: Any) -> AsyncPareta:
    """A client whose every request goes to ``recorder``."""
    return AsyncPareta(
        api_key=API_KEY,
        base_url=BASE_URL,
        http_client=httpx.AsyncClient(transport=transport(recorder)),
        **kwargs,
    )
