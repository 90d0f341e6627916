from __future__ import annotations

from collections.abc import Iterator

import pytest

from pareta.local import LocalServer


@pytest.fixture(scope="module")
def local() -> Iterator[LocalServer]:
    with LocalServer(deploy_seconds=0.05, eval_seconds_per_item=0.0005, seed=0) as server:
        yield server


@pytest.fixture(scope="module")
def slow() -> Iterator[LocalServer]:
    """Eval runs that take minutes: long enough to be waited on and cancelled."""
    with LocalServer(deploy_seconds=0.05, eval_seconds_per_item=30, seed=0) as server:
        yield server
