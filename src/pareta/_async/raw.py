"""``client.with_raw_response``: every method, returning the HTTP answer beside the object.

``await client.with_raw_response.models.list()`` is an ``APIResponse[ModelList]``: its
``status_code``, ``headers`` and ``request_id``, and ``parse()`` for the ``ModelList``.
A stream's raw response is its handshake, made at once; ``parse()`` is the stream.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

import httpx

from .._objects.models import ChatCompletion, Endpoint
from .._objects.raw import APIResponse, AsyncMethod, P, capturing, raw_response
from .._options import Body, Headers, Query
from ._streaming import AsyncDeployStream, AsyncSSEStream, AsyncStream

if TYPE_CHECKING:
    from .chat import AsyncChat, AsyncCompletions
    from .endpoints import AsyncEndpoints
    from .evals import AsyncEvalRuns, AsyncEvals, AsyncEvalSets
    from .models import AsyncModels
    from .tasks import AsyncTasks

T = TypeVar("T")


def araw(method: AsyncMethod[P, T]) -> AsyncMethod[P, APIResponse[T]]:
    """``method`` returning its ``APIResponse`` instead of its object."""

    async def call(*args: P.args, **kwargs: P.kwargs) -> APIResponse[T]:
        answer: APIResponse[T] = await _araw_call(method, *args, **kwargs)
        return answer

    return call


async def _araw_call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with capturing() as seen:
        result = await method(*args, **kwargs)
        if isinstance(result, AsyncSSEStream):
            await result._open()
    return raw_response(seen, result)


class AsyncCompletionsWithRawResponse:
    def __init__(self, completions: AsyncCompletions) -> None:
        self._completions = completions

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
    ) -> APIResponse[ChatCompletion]: ...

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
    ) -> APIResponse[AsyncStream]: ...

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
    ) -> APIResponse[ChatCompletion] | APIResponse[AsyncStream]: ...

    async def create(self, **kwargs: Any) -> Any:
        """``chat.completions.create``, returning its ``APIResponse``."""
        return await _araw_call(self._completions.create, **kwargs)


class AsyncChatWithRawResponse:
    def __init__(self, completions: AsyncCompletions) -> None:
        self.completions = AsyncCompletionsWithRawResponse(completions)


class AsyncModelsWithRawResponse:
    def __init__(self, models: AsyncModels) -> None:
        self.list = araw(models.list)


class AsyncEndpointsWithRawResponse:
    def __init__(self, endpoints: AsyncEndpoints) -> None:
        self._endpoints = endpoints
        self.list = araw(endpoints.list)
        self.retrieve = araw(endpoints.retrieve)
        self.start = araw(endpoints.start)
        self.stop = araw(endpoints.stop)
        self.delete = araw(endpoints.delete)

    @overload
    async def deploy(
        self,
        *,
        task: str,
        model: str = "recommended",
        name: str | None = None,
        wait: Literal[False] = False,
        idempotency_key: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
        **extra: Any,
    ) -> APIResponse[AsyncDeployStream]: ...

    @overload
    async def deploy(
        self,
        *,
        task: str,
        model: str = "recommended",
        name: str | None = None,
        wait: Literal[True],
        idempotency_key: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
        **extra: Any,
    ) -> APIResponse[Endpoint]: ...

    @overload
    async def deploy(
        self,
        *,
        task: str,
        model: str = "recommended",
        name: str | None = None,
        wait: bool,
        idempotency_key: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
        **extra: Any,
    ) -> APIResponse[AsyncDeployStream] | APIResponse[Endpoint]: ...

    async def deploy(self, **kwargs: Any) -> Any:
        """``endpoints.deploy``: the raw response is the progress stream's handshake (with
        ``wait=True``, of the stream that ended in the endpoint)."""
        return await _araw_call(self._endpoints.deploy, **kwargs)


class AsyncTasksWithRawResponse:
    def __init__(self, tasks: AsyncTasks) -> None:
        self.list = araw(tasks.list)
        self.retrieve = araw(tasks.retrieve)
        self.match = araw(tasks.match)
        self.leaderboard = araw(tasks.leaderboard)
        self.recommended = araw(tasks.recommended)


class AsyncEvalSetsWithRawResponse:
    def __init__(self, sets: AsyncEvalSets) -> None:
        self.create = araw(sets.create)
        self.list = araw(sets.list)
        self.retrieve = araw(sets.retrieve)
        self.delete = araw(sets.delete)
        self.upload_document = araw(sets.upload_document)


class AsyncEvalRunsWithRawResponse:
    def __init__(self, runs: AsyncEvalRuns) -> None:
        self.create = araw(runs.create)
        self.retrieve = araw(runs.retrieve)
        self.wait = araw(runs.wait)


class AsyncEvalsWithRawResponse:
    def __init__(self, evals: AsyncEvals) -> None:
        self.sets = AsyncEvalSetsWithRawResponse(evals.sets)
        self.runs = AsyncEvalRunsWithRawResponse(evals.runs)
        self.frontier_models = araw(evals.frontier_models)


class AsyncParetaWithRawResponse:
    """The client's resources, each method returning an ``APIResponse``."""

    def __init__(
        self,
        chat: AsyncChat,
        models: AsyncModels,
        endpoints: AsyncEndpoints,
        tasks: AsyncTasks,
        evals: AsyncEvals,
    ) -> None:
        self.chat = AsyncChatWithRawResponse(chat.completions)
        self.models = AsyncModelsWithRawResponse(models)
        self.endpoints = AsyncEndpointsWithRawResponse(endpoints)
        self.tasks = AsyncTasksWithRawResponse(tasks)
        self.evals = AsyncEvalsWithRawResponse(evals)
