"""`python -m pareta.local`: see `pareta.local.cli`."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
