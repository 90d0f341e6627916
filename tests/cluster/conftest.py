"""Ray and Dask for real, against the local server: `nox -s cluster`, and in CI.

They need the `cluster` extra (``pip install -e ".[cluster]"``); without Ray or Dask this
folder is not collected, so the default run stays fast. Asked for explicitly
(``pytest tests/cluster``) without them, pytest finds no tests and fails.
"""

from __future__ import annotations

import importlib.util

NEEDS = ("ray", "dask", "distributed", "pandas")

if not all(importlib.util.find_spec(name) for name in NEEDS):
    collect_ignore_glob = ["test_*.py"]
