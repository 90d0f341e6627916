"""The API commands, one module per resource; each ``register``s its parsers and handlers."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

from ..console import Output

if TYPE_CHECKING:
    from ... import Pareta

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
# A handler returns its exit status, or None for 0.
Handler: TypeAlias = "Callable[[Pareta, argparse.Namespace, Output], int | None]"


def command(
    actions: Subparsers,
    name: str,
    handler: Handler,
    *,
    help: str,
    parents: list[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """A leaf subcommand that runs ``handler`` with a client built from the environment."""
    parser = actions.add_parser(name, help=help, description=help, parents=parents)
    parser.set_defaults(handler=handler)
    return parser


def group(sub: Subparsers, name: str, *, help: str) -> Subparsers:
    """A command that only holds subcommands (``pareta tasks ...``)."""
    parser = sub.add_parser(name, help=help, description=help)
    return parser.add_subparsers(dest=f"{name}_action", required=True, metavar="ACTION")
