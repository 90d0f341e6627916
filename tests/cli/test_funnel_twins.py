"""The demo's sync funnel is its async funnel without the awaits."""

from __future__ import annotations

import re
from pathlib import Path

import pareta.cli.demo

DEMO = Path(pareta.cli.demo.__file__).parent

# The async-to-sync renames, in the spirit of tools/unasync.py.
RENAMES = [
    (r"\basync def\b", "def"),
    (r"\basync with\b", "with"),
    (r"\basync for\b", "for"),
    (r"\bawait ", ""),
    (r"\bAsyncPareta\b", "Pareta"),
    (r"\basleep\b", "sleep"),
]


def code(path: Path) -> list[str]:
    """The lines after the module docstring, without comments."""
    text = path.read_text(encoding="utf-8")
    body = text.split('"""', 2)[2]
    return [re.sub(r"\s+#.*$", "", line) for line in body.splitlines()]


def test_the_sync_funnel_is_the_async_one_without_awaits() -> None:
    expected = []
    for line in code(DEMO / "async_funnel.py"):
        for pattern, replacement in RENAMES:
            line = re.sub(pattern, replacement, line)
        expected.append(line)
    assert code(DEMO / "funnel.py") == expected


def test_the_funnels_do_differ_in_their_awaits() -> None:
    assert code(DEMO / "funnel.py") != code(DEMO / "async_funnel.py")
