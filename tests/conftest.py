from __future__ import annotations

import pytest


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every async test runs on asyncio and on trio; a missing trio fails loudly."""
    return str(request.param)


@pytest.fixture(autouse=True)
def _no_pareta_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PARETA_API_KEY", "PARETA_BASE_URL", "PARETA_LOG"):
        monkeypatch.delenv(name, raising=False)
