"""What every tool shares: the client (made when a key is there), the spending cap, the
price estimates, the costs the API reports, and the batch jobs running in the background."""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio
import httpx

from .._config import API_KEY_ENV, BASE_URL_ENV
from .pricing import Pricing
from .spending import SpendingCap

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

    from .. import AsyncBatchJob, AsyncPareta

COST_HEADER = "x-pareta-cost-micro-usd"

MISSING_KEY = (
    f"no Pareta API key: set {API_KEY_ENV} in this server's environment (the `env` block of "
    "the MCP client's configuration) and restart it. Keys are minted in the Pareta "
    "dashboard; `pareta mcp --local` runs against a local Pareta server with no account."
)


class MissingKeyError(Exception):
    """The server was started without ``PARETA_API_KEY``; every tool says so until it is set."""


@dataclass
class Meter:
    """The costs the API reported for the requests of one tool call."""

    reported: int | None = None

    def add(self, micro_usd: int) -> None:
        self.reported = (self.reported or 0) + micro_usd


# Set around a metered tool call; the client's response hook adds each reported cost to it.
# A context variable follows the call into the SDK without a parameter on every method.
current_meter: contextvars.ContextVar[Meter | None] = contextvars.ContextVar(
    "pareta_mcp_meter", default=None
)


async def record_cost(response: httpx.Response) -> None:
    meter = current_meter.get()
    header = response.headers.get(COST_HEADER)
    if meter is None or header is None or not response.is_success:
        return
    try:
        meter.add(int(header))
    except ValueError:  # a cost that is not a whole number is no report at all
        return


@dataclass
class BatchRun:
    """A batch job started by a tool, and the hold that covers its rows."""

    job: AsyncBatchJob
    output: str
    hold: str
    error: str | None = None
    finished: bool = False
    done: anyio.Event = field(default_factory=anyio.Event)


@dataclass
class Backend:
    """The state of one server, shared by all its sessions."""

    cap: SpendingCap
    api_key: str | None = None
    base_url: str | None = None
    pricing: Pricing = field(default_factory=Pricing)
    batches: dict[str, BatchRun] = field(default_factory=dict)
    # The eval runs tool calls are waiting on right now, with how many calls wait on each.
    waiting: dict[str, int] = field(default_factory=dict)
    task_group: TaskGroup | None = None
    _client: AsyncPareta | None = None

    def key(self) -> str | None:
        """The key in use, for scrubbing it from anything the server says."""
        return self.api_key or os.environ.get(API_KEY_ENV) or None

    def client(self) -> AsyncPareta:
        """The client, made on first use; ``MissingKeyError`` while there is no key."""
        if self._client is None:
            key = self.key()
            if not key:
                raise MissingKeyError(MISSING_KEY)
            from .. import AsyncPareta

            client = AsyncPareta(
                api_key=key, base_url=self.base_url or os.environ.get(BASE_URL_ENV) or None
            )
            hooks = client.http_client.event_hooks
            client.http_client.event_hooks = {
                "request": hooks.get("request", []),
                "response": [*hooks.get("response", []), record_cost],
            }
            # The key in use from now on, whatever the environment says later.
            self.api_key = key
            self._client = client
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


@contextmanager
def metered() -> Iterator[Meter]:
    """The costs the API reports for the requests made inside this block."""
    meter = Meter()
    token = current_meter.set(meter)
    try:
        yield meter
    finally:
        current_meter.reset(token)
