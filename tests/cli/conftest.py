from __future__ import annotations

from collections.abc import Iterator

import pytest

from pareta.local import LocalServer

from .helpers import Run, invoker


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(deploy_seconds=0.05, eval_seconds_per_item=0.0005, seed=0) as server:
        yield server


@pytest.fixture
def cli(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    """``pareta ARGS...`` in-process against the module's local server."""
    monkeypatch.setenv("PARETA_API_KEY", server.api_key)
    monkeypatch.setenv("PARETA_BASE_URL", server.base_url)
    # Wide enough that tables stay tables; the narrow layout has its own tests.
    monkeypatch.setenv("COLUMNS", "160")
    return invoker(capsys)
