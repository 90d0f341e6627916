"""The CLI with a key as it comes out of a file or a bad paste: it works, or says what is
wrong without printing the key."""

from __future__ import annotations

import pytest

from pareta.local import LocalServer

from .helpers import Run, invoker

TAIL = "5ecret0123456789"


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    return invoker(capsys)


def test_a_key_with_a_trailing_newline_works(
    run: Run, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARETA_API_KEY", server.api_key + "\r\n")
    monkeypatch.setenv("PARETA_BASE_URL", server.base_url)
    result = run("tasks", "list", "--json")
    assert result.code == 0, result.err
    assert server.api_key not in result.err


@pytest.mark.parametrize("bad", ["\x1b", "é", "\u2028x"])
def test_a_key_that_cannot_be_sent_is_refused_without_printing_it(
    run: Run, server: LocalServer, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setenv("PARETA_API_KEY", f"pareta_sk_{bad}{TAIL}")
    monkeypatch.setenv("PARETA_BASE_URL", server.base_url)
    result = run("tasks", "list")
    assert result.code == 1
    assert "the API key from PARETA_API_KEY has a character" in result.err
    assert TAIL not in result.err + result.out
    assert "Traceback" not in result.err
