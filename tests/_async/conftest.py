from __future__ import annotations

from collections.abc import Iterator

import pytest

from pareta._async import _http
from pareta.local import LocalServer


@pytest.fixture(scope="module")
def local() -> Iterator[LocalServer]:
    """One local Pareta server per module; each test takes a fresh org through `key`."""
    with LocalServer(deploy_seconds=0.05, eval_seconds_per_item=0.0005, seed=3) as server:
        yield server


@pytest.fixture
def key(local: LocalServer) -> Iterator[str]:
    yield local.mint_key()
    local.clear_faults()


@pytest.fixture
def backoff_delays(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Replaces the backoff sleep: records each requested delay instead of waiting."""
    recorded: list[float] = []

    async def record(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(_http, "asleep", record)
    return recorded
