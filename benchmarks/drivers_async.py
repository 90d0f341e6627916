"""Async clients behind one small interface: one request, one stream, close.

Each driver is built inside the running event loop (asyncio or trio) and imports its
library only then, so a worker process carries nothing but the client it measures.
Every driver reads the answer's content, so lazy and eager response types do equal work.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from spec import API_KEY, MESSAGES, MODEL, POOL_SIZE, Unavailable, body

# openai-python types messages as TypedDicts; the same plain dicts, typed loosely for it.
OPENAI_MESSAGES: Any = MESSAGES

PATH = "/v1/chat/completions"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


class AsyncDriver(Protocol):
    async def request(self) -> None: ...

    async def stream(self) -> int:
        """Read one whole SSE stream; return the number of chunks decoded."""
        ...

    async def aclose(self) -> None: ...


class ParetaDriver:
    def __init__(self, url: str, http_client: Any = None) -> None:
        from pareta import AsyncPareta

        if http_client is None:
            self.client = AsyncPareta(api_key=API_KEY, base_url=url)
        else:
            self.client = AsyncPareta(api_key=API_KEY, base_url=url, http_client=http_client)
        self._http_client = http_client

    async def request(self) -> None:
        completion = await self.client.chat.completions.create(model=MODEL, messages=MESSAGES)
        assert completion.choices[0].message.content

    async def stream(self) -> int:
        count = 0
        stream = await self.client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True
        )
        async with stream:
            async for chunk in stream:
                assert chunk.choices[0].delta.content
                count += 1
        return count

    async def aclose(self) -> None:
        await self.client.aclose()
        if self._http_client is not None:
            await self._http_client.aclose()


class HttpxDriver:
    """Raw httpx: ``post`` + ``json()``; SSE read with ``aiter_lines()`` + ``json.loads``."""

    def __init__(self, url: str, *, default_pool: bool = False) -> None:
        import httpx

        if default_pool:  # httpx's own defaults: 100 connections, 20 kept alive
            self.client = httpx.AsyncClient(base_url=url, headers=AUTH)
        else:
            limits = httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE)
            self.client = httpx.AsyncClient(base_url=url, headers=AUTH, limits=limits)
        self._body = body()
        self._stream_body = body(stream=True)

    async def request(self) -> None:
        response = await self.client.post(PATH, json=self._body)
        response.raise_for_status()
        assert response.json()["choices"][0]["message"]["content"]

    async def stream(self) -> int:
        count = 0
        async with self.client.stream("POST", PATH, json=self._stream_body) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                data = line[6:]
                if data == "[DONE]":
                    break
                assert json.loads(data)["choices"][0]["delta"]["content"]
                count += 1
        return count

    async def aclose(self) -> None:
        await self.client.aclose()


class AiohttpDriver:
    """Raw aiohttp: ``post`` + ``json()``; SSE read line by line + ``json.loads``."""

    def __init__(self, url: str) -> None:
        import aiohttp

        self.session = aiohttp.ClientSession(
            headers=AUTH, connector=aiohttp.TCPConnector(limit=POOL_SIZE)
        )
        self._url = url + PATH
        self._body = body()
        self._stream_body = body(stream=True)

    async def request(self) -> None:
        async with self.session.post(self._url, json=self._body) as response:
            response.raise_for_status()
            data = await response.json()
        assert data["choices"][0]["message"]["content"]

    async def stream(self) -> int:
        count = 0
        async with self.session.post(self._url, json=self._stream_body) as response:
            response.raise_for_status()
            async for raw in response.content:
                if not raw.startswith(b"data: "):
                    continue
                data = raw[6:].rstrip(b"\r\n")
                if data == b"[DONE]":
                    break
                assert json.loads(data)["choices"][0]["delta"]["content"]
                count += 1
        return count

    async def aclose(self) -> None:
        await self.session.close()


class OpenAIDriver:
    """openai-python's ``AsyncOpenAI`` with retries off and a 256-connection pool."""

    def __init__(self, url: str) -> None:
        import openai

        transport_lib = _openai_http_module()
        limits = transport_lib.Limits(
            max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE
        )
        self.client = openai.AsyncOpenAI(
            api_key=API_KEY,
            base_url=url + "/v1",
            max_retries=0,
            http_client=transport_lib.AsyncClient(limits=limits),
        )

    async def request(self) -> None:
        completion = await self.client.chat.completions.create(
            model=MODEL, messages=OPENAI_MESSAGES, stream=False
        )
        assert completion.choices[0].message.content

    async def stream(self) -> int:
        count = 0
        stream = await self.client.chat.completions.create(
            model=MODEL, messages=OPENAI_MESSAGES, stream=True
        )
        async with stream:
            async for chunk in stream:
                assert chunk.choices[0].delta.content
                count += 1
        return count

    async def aclose(self) -> None:
        await self.client.close()


def _openai_http_module() -> Any:
    """The httpx flavour openai-python is built on (recent releases moved to ``httpx2``)."""
    import openai._base_client as base

    for name in ("httpx2", "httpx"):
        module = getattr(base, name, None)
        if module is not None:
            return module
    raise Unavailable("cannot tell which httpx openai-python uses")


def aiohttp_transport_client() -> Any:
    """An ``httpx.AsyncClient`` on pareta's aiohttp-backed transport, if pareta ships one."""
    try:
        import httpx

        import pareta.transports as transports
    except ImportError as exc:
        raise Unavailable("pareta.transports does not exist") from exc
    names = [name for name in dir(transports) if "aiohttp" in name.lower()]
    factories = [getattr(transports, name) for name in names if name[:1].isupper()]
    if not factories:
        raise Unavailable(f"pareta.transports has no aiohttp transport (has {dir(transports)})")
    transport = factories[0]()
    if isinstance(transport, httpx.AsyncClient):
        return transport
    return httpx.AsyncClient(transport=transport)


def open_driver(name: str, url: str) -> AsyncDriver:
    if name in ("pareta-asyncio", "pareta-trio"):
        return ParetaDriver(url)
    if name in ("httpx-asyncio", "httpx-trio"):
        return HttpxDriver(url)
    if name in ("httpx-asyncio-default", "httpx-trio-default"):
        return HttpxDriver(url, default_pool=True)
    if name == "aiohttp":
        return AiohttpDriver(url)
    if name == "openai":
        return OpenAIDriver(url)
    if name == "pareta-aiohttp":
        return ParetaDriver(url, http_client=aiohttp_transport_client())
    raise ValueError(f"no async driver named {name!r}")
