"""``chat.completions``: OpenAI-compatible inference."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, overload

import httpx

from .._batch.state import CountProgress
from .._checks import (
    require_idempotency_key,
    require_messages,
    require_positive_int,
    require_text,
)
from .._objects.models import ChatCompletion
from .._options import Body, Headers, Query, request_options
from ._http import AsyncAPIClient
from ._streaming import AsyncStream
from .batch import arun_all


class AsyncCompletions:
    # Where the resource hangs off the client: a batch job names its method by it.
    _resource = "chat.completions"

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    @overload
    async def create(
        self,
        *,
        model: str,
        messages: list[dict[str, Any]],
        stream: Literal[False] = False,
        idempotency_key: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
        **kwargs: Any,
    ) -> ChatCompletion: ...

    @overload
    async def create(
        self,
        *,
        model: str,
        messages: list[dict[str, Any]],
        stream: Literal[True],
        idempotency_key: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
        **kwargs: Any,
    ) -> AsyncStream: ...

    @overload
    async def create(
        self,
        *,
        model: str,
        messages: list[dict[str, Any]],
        stream: bool,
        idempotency_key: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
        **kwargs: Any,
    ) -> ChatCompletion | AsyncStream: ...

    async def create(
        self,
        *,
        model: str,
        messages: list[dict[str, Any]],
        stream: bool = False,
        idempotency_key: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
        **kwargs: Any,
    ) -> ChatCompletion | AsyncStream:
        """Run a chat completion; ``stream=True`` returns a stream of chunks instead.

        Extra keyword arguments (``temperature``, ``max_tokens``...) go into the body as-is.
        ``idempotency_key`` (sent as a header, never in the body) makes a repeat of this
        call, even from another process, replay the first answer instead of billing again.
        ``extra_headers``, ``extra_query``, ``extra_body`` and ``timeout`` are the SDK's own
        per-request options (as in openai-python), never body fields.
        """
        key = require_idempotency_key(idempotency_key)
        options = request_options(extra_headers, extra_query, extra_body, timeout)
        body: dict[str, Any] = {
            "model": require_text(model, "model"),
            "messages": require_messages(messages),
            **kwargs,
        }
        if stream:
            body["stream"] = True
            request = self._client.build(
                "POST",
                "/v1/chat/completions",
                json=body,
                accept="text/event-stream",
                idempotency_key=key,
                options=options,
            )
            return AsyncStream(self._client, request)
        answer = await self._client.request_answer(
            "POST",
            "/v1/chat/completions",
            json=body,
            expect=dict,
            idempotency_key=key,
            options=options,
        )
        return answer.stamp(ChatCompletion(answer.body))

    async def create_many(
        self,
        requests: Iterable[dict[str, Any]],
        *,
        concurrency: int = 64,
        on_progress: CountProgress | None = None,
    ) -> list[ChatCompletion | Exception]:
        """Run many completions, ``concurrency`` at a time; each request is the keyword
        arguments of one ``create`` call. Results (or exceptions) come in input order."""
        requests = list(requests)
        for position, request in enumerate(requests):
            if not isinstance(request, dict):
                raise TypeError(f"requests[{position}] must be a dict of create() arguments")
            if request.get("stream"):
                raise ValueError("create_many runs whole completions; drop stream=True")
        require_positive_int(concurrency, "concurrency")
        return await arun_all(
            self.create, requests, concurrency=concurrency, on_progress=on_progress
        )


class AsyncChat:
    def __init__(self, client: AsyncAPIClient) -> None:
        self.completions = AsyncCompletions(client)
