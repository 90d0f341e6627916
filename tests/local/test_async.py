from __future__ import annotations

from collections.abc import Callable

import anyio
import httpx
import pytest
from starlette.concurrency import run_in_threadpool

from pareta.local import LocalServer, create_app
from pareta.local.pytest_plugin import pareta_local, pareta_local_options  # noqa: F401

from .helpers import chat_body

pytestmark = pytest.mark.anyio


async def test_concurrent_async_traffic_is_billed_once_each(server: LocalServer) -> None:
    key = server.mint_key()
    headers = {"Authorization": f"Bearer {key}"}
    codes: list[int] = []
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as client:

        async def one(i: int) -> None:
            body = chat_body(stream=i % 3 == 0)
            codes.append((await client.post("/v1/chat/completions", json=body)).status_code)

        async with anyio.create_task_group() as tg:
            for i in range(60):
                tg.start_soon(one, i)
    assert codes == [200] * 60
    assert len(server.ledger(api_key=key)) == 60


async def test_asgi_transport_without_a_socket() -> None:
    transport = httpx.ASGITransport(app=create_app())
    headers = {"Authorization": "Bearer pareta_sk_asgi"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://local", headers=headers
    ) as c:
        response = await c.post("/v1/chat/completions", json=chat_body())
        assert response.status_code == 200
        ledger = (await c.get("/admin/ledger")).json()["entries"]
        assert [e["request_id"] for e in ledger] == [response.headers["x-request-id"]]


def test_pytest_plugin_fixture(pareta_local: LocalServer) -> None:  # noqa: F811
    headers = {"Authorization": f"Bearer {pareta_local.api_key}"}
    assert not pareta_local.base_url.endswith(("/", "/v1"))
    response = httpx.get(f"{pareta_local.base_url}/v1/models", headers=headers)
    assert response.status_code == 200


async def test_inference_never_waits_on_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """FastAPI runs a plain-function dependency or route on a worker thread: a hop that
    cost each completion more than the work it wrapped. The hot routes stay on the loop."""
    hops: list[str] = []

    async def counted(func: Callable[..., object], *args: object, **kwargs: object) -> object:
        hops.append(getattr(func, "__qualname__", repr(func)))
        return await run_in_threadpool(func, *args, **kwargs)

    monkeypatch.setattr("fastapi.dependencies.utils.run_in_threadpool", counted)
    monkeypatch.setattr("fastapi.routing.run_in_threadpool", counted)
    transport = httpx.ASGITransport(app=create_app())
    headers = {"Authorization": "Bearer pareta_sk_loop"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://local", headers=headers
    ) as c:
        assert (await c.post("/v1/chat/completions", json=chat_body())).status_code == 200
        streamed = await c.post("/v1/chat/completions", json=chat_body(stream=True))
        assert streamed.status_code == 200
        assert (await c.get("/v1/models")).status_code == 200
    assert hops == []
