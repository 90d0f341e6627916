"""``chat.completions``: OpenAI-compatible inference."""

from __future__ import annotations

from typing import Any, Literal, overload

from .._checks import require_messages, require_text
from .._models import ChatCompletion
from ._http import AsyncAPIClient
from ._streaming import AsyncStream


class AsyncCompletions:
    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    @overload
    async def create(
        self,
        *,
        model: str,
        messages: list[dict[str, Any]],
        stream: Literal[False] = False,
        **kwargs: Any,
    ) -> ChatCompletion: ...

    @overload
    async def create(
        self, *, model: str, messages: list[dict[str, Any]], stream: Literal[True], **kwargs: Any
    ) -> AsyncStream: ...

    @overload
    async def create(
        self, *, model: str, messages: list[dict[str, Any]], stream: bool, **kwargs: Any
    ) -> ChatCompletion | AsyncStream: ...

    async def create(
        self,
        *,
        model: str,
        messages: list[dict[str, Any]],
        stream: bool = False,
        **kwargs: Any,
    ) -> ChatCompletion | AsyncStream:
        """Run a chat completion; ``stream=True`` returns a stream of chunks instead.

        Extra keyword arguments (``temperature``, ``max_tokens``...) go into the body as-is.
        """
        body: dict[str, Any] = {
            "model": require_text(model, "model"),
            "messages": require_messages(messages),
            **kwargs,
        }
        if stream:
            body["stream"] = True
            request = self._client.build(
                "POST", "/v1/chat/completions", json=body, accept="text/event-stream"
            )
            return AsyncStream(self._client, request)
        data = await self._client.request_json(
            "POST", "/v1/chat/completions", json=body, expect=dict
        )
        return ChatCompletion(data)


class AsyncChat:
    def __init__(self, client: AsyncAPIClient) -> None:
        self.completions = AsyncCompletions(client)
