"""``pareta mcp``: the Pareta MCP server (``pareta-mcp``) for agents."""

from __future__ import annotations

import argparse

from ..console import Output
from . import Subparsers


def register(sub: Subparsers) -> None:
    text = "serve Pareta to an agent over the Model Context Protocol (stdio, or --http PORT)"
    # The server parses its own options (and --help), so they pass through untouched.
    parser = sub.add_parser("mcp", help=text, description=text, add_help=False)
    parser.set_defaults(standalone=serve_mcp, passthrough=True)


def serve_mcp(args: argparse.Namespace, out: Output, extra: list[str]) -> int:
    from ...mcp import main

    try:
        return main(extra, prog="pareta mcp")
    except SystemExit as exit:
        # Its parser exits on --help and on a bad option; `pareta` returns the status instead.
        return exit.code if isinstance(exit.code, int) else 2
