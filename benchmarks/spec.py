"""What the suite measures: the clients, the workloads and the request everyone sends.

This module imports nothing heavy: the runner uses it without importing any client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["asyncio", "trio", "sync"]

MODEL = "bench-model"
MESSAGES: list[dict[str, Any]] = [{"role": "user", "content": "Say hello."}]
API_KEY = "pareta_sk_bench"
POOL_SIZE = 256

# Workload names, in the order a worker runs them.
SEQ, C64, C256, STREAM = "seq", "c64", "c256", "stream"
WORKLOADS = (SEQ, C64, C256, STREAM)
CONCURRENCY = {SEQ: 1, C64: 64, C256: 256, STREAM: 1}
UNIT = {SEQ: "request", C64: "request", C256: "request", STREAM: "chunk"}


@dataclass(frozen=True)
class Client:
    name: str
    kind: Kind
    baseline: str  # the raw-httpx client of the same kind that ratios are taken against
    workloads: tuple[str, ...] = WORKLOADS
    note: str = ""


CLIENTS: tuple[Client, ...] = (
    Client("pareta-asyncio", "asyncio", "httpx-asyncio", note="AsyncPareta, default pool"),
    Client("pareta-trio", "trio", "httpx-trio", note="AsyncPareta under trio"),
    Client("pareta-sync", "sync", "httpx-sync", note="Pareta; thread pool for concurrency"),
    Client("httpx-asyncio", "asyncio", "httpx-asyncio", note="httpx.AsyncClient, 256 pool"),
    Client("httpx-trio", "trio", "httpx-trio", note="httpx.AsyncClient under trio, 256 pool"),
    Client("httpx-sync", "sync", "httpx-sync", note="httpx.Client, 256 pool, thread pool"),
    Client(
        "httpx-asyncio-default",
        "asyncio",
        "httpx-asyncio",
        workloads=(C256,),
        note="httpx.AsyncClient() with httpx's default limits",
    ),
    Client("aiohttp", "asyncio", "httpx-asyncio", note="aiohttp.ClientSession, limit=256"),
    Client(
        "openai",
        "asyncio",
        "httpx-asyncio",
        note="AsyncOpenAI(max_retries=0), 256 pool on its own httpx",
    ),
    Client(
        "pareta-aiohttp",
        "asyncio",
        "aiohttp",
        note="AsyncPareta(http_client=...) on an aiohttp-backed transport from pareta",
    ),
)
BY_NAME = {client.name: client for client in CLIENTS}

# Modules whose import time is measured, as (label, statement).
IMPORTS: tuple[tuple[str, str], ...] = (
    ("httpx", "import httpx"),
    ("pareta", "import pareta"),
    ("aiohttp", "import aiohttp"),
    ("openai", "import openai"),
)


class Unavailable(Exception):
    """A client slot whose library (or pareta feature) is not installed in this run."""


def body(*, stream: bool = False) -> dict[str, Any]:
    """The JSON body the raw clients send (pareta and openai build the same one)."""
    payload: dict[str, Any] = {"model": MODEL, "messages": MESSAGES}
    if stream:
        payload["stream"] = True
    return payload
