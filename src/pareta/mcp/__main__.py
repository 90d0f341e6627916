"""``python -m pareta.mcp``: the same as ``pareta-mcp``."""

from __future__ import annotations

import sys

from . import main

sys.exit(main())
