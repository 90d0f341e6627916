"""Blocking clients behind one small interface: one request, one stream, close.

The same requests as the async drivers; concurrency comes from a thread pool that
shares one client, as a sync application would.
"""

from __future__ import annotations

import json
from typing import Protocol

from spec import API_KEY, MESSAGES, MODEL, POOL_SIZE, body

PATH = "/v1/chat/completions"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


class SyncDriver(Protocol):
    def request(self) -> None: ...

    def stream(self) -> int:
        """Read one whole SSE stream; return the number of chunks decoded."""
        ...

    def close(self) -> None: ...


class ParetaSyncDriver:
    def __init__(self, url: str) -> None:
        from pareta import Pareta

        self.client = Pareta(api_key=API_KEY, base_url=url)

    def request(self) -> None:
        completion = self.client.chat.completions.create(model=MODEL, messages=MESSAGES)
        assert completion.choices[0].message.content

    def stream(self) -> int:
        count = 0
        with self.client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True
        ) as stream:
            for chunk in stream:
                assert chunk.choices[0].delta.content
                count += 1
        return count

    def close(self) -> None:
        self.client.close()


class HttpxSyncDriver:
    """Raw ``httpx.Client``: ``post`` + ``json()``; SSE with ``iter_lines()`` + ``json.loads``."""

    def __init__(self, url: str, *, default_pool: bool = False) -> None:
        import httpx

        if default_pool:  # httpx's own defaults: 100 connections, 20 kept alive
            self.client = httpx.Client(base_url=url, headers=AUTH)
        else:
            limits = httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE)
            self.client = httpx.Client(base_url=url, headers=AUTH, limits=limits)
        self._body = body()
        self._stream_body = body(stream=True)

    def request(self) -> None:
        response = self.client.post(PATH, json=self._body)
        response.raise_for_status()
        assert response.json()["choices"][0]["message"]["content"]

    def stream(self) -> int:
        count = 0
        with self.client.stream("POST", PATH, json=self._stream_body) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if not line.startswith("data: "):
                    continue
                data = line[6:]
                if data == "[DONE]":
                    break
                assert json.loads(data)["choices"][0]["delta"]["content"]
                count += 1
        return count

    def close(self) -> None:
        self.client.close()


def open_sync_driver(name: str, url: str) -> SyncDriver:
    if name == "pareta-sync":
        return ParetaSyncDriver(url)
    if name == "httpx-sync":
        return HttpxSyncDriver(url)
    if name == "httpx-sync-default":
        return HttpxSyncDriver(url, default_pool=True)
    raise ValueError(f"no sync driver named {name!r}")
