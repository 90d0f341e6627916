"""``models``: the OpenAI-compatible list of callable endpoints."""

from __future__ import annotations

from .._models import ModelList
from ._http import AsyncAPIClient


class AsyncModels:
    # Where the resource hangs off the client: a batch job names its method by it.
    _resource = "models"

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def list(self) -> ModelList:
        """The deployed endpoints with a live URL, as ``Model`` objects."""
        data = await self._client.request_json("GET", "/v1/models", expect=(dict, list))
        return ModelList(data if isinstance(data, dict) else {"data": data})
