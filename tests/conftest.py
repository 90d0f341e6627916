from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A property test runs a hundred examples: it belongs to the full run, not the fast layer.
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every async test runs on asyncio and on trio; a missing trio fails loudly."""
    return str(request.param)


@pytest.fixture(autouse=True)
def _no_pareta_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PARETA_API_KEY", "PARETA_BASE_URL", "PARETA_LOG"):
        monkeypatch.delenv(name, raising=False)
