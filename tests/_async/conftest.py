from __future__ import annotations

from collections.abc import Iterator

import pytest

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
