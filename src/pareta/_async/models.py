"""``models``: the OpenAI-compatible list of callable endpoints."""

from __future__ import annotations

import httpx

from .._objects.models import ModelList
from .._options import Body, Headers, Query, request_options
from ._http import AsyncAPIClient


class AsyncModels:
    # Where the resource hangs off the client: a batch job names its method by it.
    _resource = "models"

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def list(
        self,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> ModelList:
        """The deployed endpoints with a live URL, as ``Model`` objects."""
        answer = await self._client.request_answer(
            "GET",
            "/v1/models",
            expect=(dict, list),
            options=request_options(extra_headers, extra_query, extra_body, timeout),
        )
        data = answer.body
        return answer.stamp(ModelList(data if isinstance(data, dict) else {"data": data}))
