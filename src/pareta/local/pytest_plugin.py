"""A pytest plugin that serves the local Pareta API to your tests.

Enable it in a `conftest.py`::

    pytest_plugins = ["pareta.local.pytest_plugin"]

Then ask for the `pareta_local` fixture, a running `pareta.local.LocalServer`
(one per test, so balances, endpoints and faults never leak between tests)::

    def test_extracts_parties(pareta_local):
        client = Pareta(api_key=pareta_local.api_key, base_url=pareta_local.base_url)
        ...
        assert len(pareta_local.ledger()) == 1

`pareta_local_options` is the dict of `LocalServer` keyword arguments the
fixture uses; override it in your own conftest (or per module) to change the
starting balance, deploy speed, faults and so on::

    @pytest.fixture
    def pareta_local_options():
        return {"balance": 0, "deploy_seconds": 0}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .server import LocalServer


@pytest.fixture
def pareta_local_options() -> dict[str, Any]:
    """Keyword arguments for the `pareta_local` server: fast deploys and evals by default."""
    return {"deploy_seconds": 0.05, "eval_seconds_per_item": 0.0005, "seed": 0}


@pytest.fixture
def pareta_local(pareta_local_options: dict[str, Any]) -> Iterator[LocalServer]:
    """A running local Pareta server; `base_url` and `api_key` point a client at it."""
    with LocalServer(**pareta_local_options) as server:
        yield server
