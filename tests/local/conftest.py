from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pareta.local import LocalServer


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(deploy_seconds=0.05, eval_seconds_per_item=0.0005, seed=7) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_leftover_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "server" in request.fixturenames:
        request.getfixturevalue("server").clear_faults()


@pytest.fixture
def api_key(server: LocalServer) -> str:
    """A fresh org per test, so balances and ledgers never leak between tests."""
    return server.mint_key()


@pytest.fixture
def client(server: LocalServer, api_key: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as c:
        yield c
