"""The ``pareta`` command line: the demo, the local server, and the API from a terminal.

Needs the ``cli`` extra (rich). ``import pareta`` never imports this package.
"""

from __future__ import annotations

import sys

INSTALL_HINT = 'the pareta command needs rich for its output: pip install "pareta[cli]"'


def main(argv: list[str] | None = None) -> int:
    """Run ``pareta`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit status."""
    try:
        import rich  # noqa: F401
    except ImportError:
        print(f"error: {INSTALL_HINT}", file=sys.stderr)
        return 1
    from .app import run

    return run(sys.argv[1:] if argv is None else argv)


__all__ = ["main"]
