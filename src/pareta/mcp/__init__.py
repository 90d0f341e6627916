"""``pareta mcp``: Pareta for agents, a Model Context Protocol server over the funnel.

An MCP client (Claude Desktop, Cursor, any other) gets tools to match a job to a task,
read its leaderboard, evaluate models on the user's rows, deploy an endpoint, chat with
it and run batches, each a thin layer over ``AsyncPareta``; metered calls are held
against a spending cap for the server's life. Needs the ``mcp`` extra
(``pip install "pareta[mcp]"``). ``import pareta`` never imports this package.
"""

from __future__ import annotations

import sys

INSTALL_HINT = 'the Pareta MCP server needs the MCP SDK: pip install "pareta[mcp]"'


def main(argv: list[str] | None = None, prog: str = "pareta-mcp") -> int:
    """Run the server with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    try:
        import mcp  # noqa: F401
    except ImportError:
        print(f"error: {INSTALL_HINT}", file=sys.stderr)
        return 1
    from .entry import run

    return run(sys.argv[1:] if argv is None else argv, prog=prog)


__all__ = ["main"]
