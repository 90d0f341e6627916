"""The README: its self-contained Python examples run as written, and its links work on
the package index too (absolute, and into files this repository has)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
RUNNABLE = [block for block in BLOCKS if "LocalServer" in block]
LINKS = re.findall(r"\]\(([^)]+)\)", README.read_text())
# Where the repository's files are published (pyproject.toml's Repository URL).
TREE = re.compile(r"^https://github\.com/pareta-ai/pareta-python/(?:blob|tree)/main/(.+)$")


def test_the_readme_has_runnable_examples() -> None:
    assert len(RUNNABLE) >= 2


def test_every_link_is_absolute_and_every_link_into_the_repository_exists() -> None:
    assert LINKS
    for link in LINKS:
        assert link.startswith("https://"), f"a relative link breaks on the package index: {link}"
        inside = TREE.match(link)
        if inside:
            assert (ROOT / inside.group(1)).exists(), link


@pytest.mark.slow
@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: b.splitlines()[0][:40])
def test_readme_example_runs(block: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", block], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
