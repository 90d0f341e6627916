"""The ``pareta`` parser, and the dispatch from a parsed command line to its handler."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from .. import Pareta
from .._config import API_KEY_ENV
from .._exceptions import ParetaError
from .._version import __version__
from .commands import batch, chat, endpoints, evals, local, mcp, tasks
from .console import Output
from .demo import register as register_demo
from .errors import EXIT_USAGE, MissingKeyError, UsageError, report
from .rows import RowsError

DESCRIPTION = """\
Pareta from a terminal. Start with `pareta demo`: it runs a local Pareta server and
walks the discovery funnel (match a task, read its leaderboard, evaluate candidates
on your rows, deploy the winner, stream an answer) in a few seconds.

The other commands talk to the server at PARETA_BASE_URL (default https://api.pareta.ai)
with the key in PARETA_API_KEY, like Pareta.from_env()."""

EPILOG = """\
examples:
  pareta demo
  pareta local serve
  pareta tasks match "extract key fields from contracts"
  pareta tasks leaderboard contract-key-fields
  pareta endpoints deploy --task contract-key-fields
  pareta chat ep_a1b2c3 "Who are the parties?"
  pareta evals runs create --task contract-key-fields --file rows.jsonl \\
      --model contract-kie-1 --frontier benchmarked --wait"""

FAILURES = (ParetaError, UsageError, MissingKeyError, RowsError, ValueError, KeyboardInterrupt)


def build_parser() -> argparse.ArgumentParser:
    # --json is accepted after the subcommand too (`pareta tasks list --json`); SUPPRESS
    # keeps a subcommand that was not given it from resetting the top-level value.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print raw JSON"
    )
    parser = argparse.ArgumentParser(
        prog="pareta",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--json", action="store_true", help="print the raw API JSON (one document) for scripts"
    )
    parser.add_argument("--version", action="version", version=f"pareta {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    register_demo(sub)
    local.register(sub)
    mcp.register(sub)
    for module in (tasks, endpoints, evals, chat, batch):
        module.register(sub, [common])
    return parser


def run(argv: Sequence[str]) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(list(argv))
        if extra and not getattr(args, "passthrough", False):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exit:
        # argparse already printed the usage or the help; keep its status (2 or 0).
        return exit.code if isinstance(exit.code, int) else EXIT_USAGE
    out = Output(as_json=args.json)
    try:
        if hasattr(args, "standalone"):
            if args.json:
                raise UsageError(f"`pareta {args.command}` prints for people; it has no --json")
            status: int = args.standalone(args, out, extra)
            return status
        # A command that reads only local files (`pareta batch status`) needs no key.
        if getattr(args, "offline", lambda _: False)(args):
            return int(args.handler(None, args, out) or 0)
        with _client() as pa:
            return int(args.handler(pa, args, out) or 0)
    except FAILURES as exc:
        return report(exc, out)


def _client() -> Pareta:
    if not os.environ.get(API_KEY_ENV):
        raise MissingKeyError
    return Pareta.from_env()
