"""``python -m tools.spec_examples SPEC``: run the documentation's examples."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
