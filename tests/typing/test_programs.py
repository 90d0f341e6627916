"""The typed programs under tests/typing are real: the README copy is the README's program,
and the quickstart walks run against a local server (mypy checks all of them, see pyproject)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from pareta import AsyncPareta, Pareta
from pareta.local import LocalServer

from . import quickstart, quickstart_async

HERE = Path(__file__).resolve().parent
README = HERE.parent.parent / "README.md"
TASK = "contract-key-fields"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(deploy_seconds=0.05, eval_seconds_per_item=0.0005, seed=5) as server:
        yield server


def test_the_checked_copy_is_the_readmes_first_program() -> None:
    first = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)[0]
    copy = (HERE / "readme_first_program.py").read_text()
    docstring, body = copy.split('"""\n\n', 1)
    assert docstring.startswith('"""The README')
    assert body == first


def check_walk(lines: list[str], pa: Pareta) -> None:
    recommended, live, answer = lines[:3]
    assert recommended.startswith("recommended: ")
    assert "None" not in recommended
    assert re.fullmatch(r"live endpoint: ep_\S+ live", live)
    assert answer
    assert lines[-1] == "callable: True"
    assert pa.endpoints.retrieve(live.split()[2]).status != "live"


def test_the_sync_quickstart_walk(server: LocalServer) -> None:
    with Pareta(api_key=server.mint_key(), base_url=server.base_url) as pa:
        lines = quickstart.walk(pa, TASK)
        check_walk(lines, pa)
        assert re.fullmatch(r"tokens: \d+", lines[3])
        models = [entry.name for entry in pa.tasks.leaderboard(TASK).models[:1] if entry.name]
        assert quickstart.billed(pa, TASK, models) >= 0


@pytest.mark.anyio
async def test_the_async_quickstart_walk(server: LocalServer) -> None:
    key = server.mint_key()
    async with AsyncPareta(api_key=key, base_url=server.base_url) as apa:
        lines = await quickstart_async.walk(apa, TASK)
    with Pareta(api_key=key, base_url=server.base_url) as pa:
        check_walk(lines, pa)
