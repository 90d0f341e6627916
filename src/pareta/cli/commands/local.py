"""``pareta local serve``: the local Pareta server in the foreground."""

from __future__ import annotations

import argparse

from ..console import Output
from . import Subparsers

INSTALL_HINT = 'the local server needs its extra: pip install "pareta[local]"'


def register(sub: Subparsers) -> None:
    local = sub.add_parser(
        "local", help="a local Pareta server", description="A local Pareta server."
    )
    actions = local.add_subparsers(dest="local_action", required=True, metavar="ACTION")
    text = "run the local server in the foreground (Ctrl-C stops it)"
    # The server parses its own options (and --help), so they pass through untouched.
    serve = actions.add_parser("serve", help=text, description=text, add_help=False)
    serve.set_defaults(standalone=serve_local, passthrough=True)


def serve_local(args: argparse.Namespace, out: Output, extra: list[str]) -> int:
    try:
        from ...local import main
    except ImportError as exc:
        out.error(f"error: {INSTALL_HINT} ({exc})")
        return 1
    try:
        return main(extra, prog="pareta local serve")
    except SystemExit as exit:
        # Its parser exits on --help and on a bad option; `pareta` returns the status instead.
        return exit.code if isinstance(exit.code, int) else 2
