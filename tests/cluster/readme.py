"""The Python blocks of the documentation's Ray and Dask page (docs/cluster.md), for the tests
that run them as written."""

from __future__ import annotations

import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "cluster.md"


def page_block(marker: str) -> str:
    """The page's one Python block that contains ``marker``."""
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)
    (block,) = [b for b in blocks if marker in b]
    return block
