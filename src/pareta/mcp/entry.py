"""``pareta-mcp`` / ``pareta mcp``: the options, and the server run over stdio or HTTP."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import socket
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import anyio

from .backend import Backend
from .server import build_server
from .spending import DEFAULT_MAX_SPEND_USD, SpendingCap, parse_usd, usd

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

DESCRIPTION = """\
Pareta for agents: a Model Context Protocol server over the discovery funnel (match a
task, read its leaderboard, evaluate models on your rows, deploy, chat, batch). It
speaks MCP over stdio unless --http is given, and reads PARETA_API_KEY and
PARETA_BASE_URL like the rest of the SDK; without a key every tool says how to set one.
Metered calls are held against a spending cap for the server's life (--max-spend-usd)."""

LOCAL_HINT = 'pareta mcp --local runs a local server, which needs: pip install "pareta[local]"'


def dollars(text: str) -> int:
    try:
        return parse_usd(text)
    except ValueError as exc:  # argparse shows the message of this error type only
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION)
    parser.add_argument(
        "--local",
        action="store_true",
        help="run against an embedded local Pareta server (no account, nothing billed)",
    )
    parser.add_argument(
        "--http",
        type=int,
        metavar="PORT",
        help="serve streamable HTTP on PORT (0: a free one) instead of stdio",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address --http binds (default %(default)s: this machine only)",
    )
    parser.add_argument(
        "--max-spend-usd",
        type=dollars,
        default=parse_usd(str(DEFAULT_MAX_SPEND_USD)),
        metavar="USD",
        help="what metered calls may spend in this server's life "
        f"(default ${DEFAULT_MAX_SPEND_USD})",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="what the server logs on stderr (default %(default)s)",
    )
    return parser


def run(argv: Sequence[str], prog: str = "pareta-mcp") -> int:
    """Parse ``argv`` and serve until the client hangs up (stdio) or Ctrl-C (HTTP)."""
    args = build_parser(prog).parse_args(list(argv))
    if args.http is not None and not 0 <= args.http <= 65535:
        print(f"{prog}: error: --http takes a port from 0 to 65535", file=sys.stderr)
        return 2
    try:
        return anyio.run(serve, args)
    except KeyboardInterrupt:
        return 130


async def serve(args: argparse.Namespace) -> int:
    local = None
    if args.local:
        try:
            from ..local import LocalServer
        except ImportError as exc:
            print(f"error: {LOCAL_HINT} ({exc})", file=sys.stderr)
            return 1
        local = LocalServer().start()
        print(f"pareta mcp: a local Pareta server at {local.base_url}", file=sys.stderr)
    backend = Backend(
        cap=SpendingCap(args.max_spend_usd),
        api_key=None if local is None else local.api_key,
        base_url=None if local is None else local.base_url,
    )
    app = build_server(backend)
    logging.getLogger().setLevel(args.log_level)
    print(f"pareta mcp: spending cap {usd(args.max_spend_usd)}", file=sys.stderr)
    try:
        async with anyio.create_task_group() as jobs:
            backend.task_group = jobs
            if args.http is None:
                await app.run_stdio_async()
            else:
                await serve_http(app, args.host, args.http)
            # The client is gone: background batch jobs stop; their results files resume.
            jobs.cancel_scope.cancel()
    finally:
        await backend.aclose()
        if local is not None:
            local.stop()
    return 0


def exposure(host: str) -> list[str]:
    """The warning to print when ``host`` lets other machines reach the server."""
    try:
        if ipaddress.ip_address(host.strip("[]")).is_loopback:
            return []
    except ValueError:
        if host == "localhost":
            return []
    return [
        f"pareta mcp: warning: serving on {host}, reachable from other machines, with no "
        "authentication of its own: whoever reaches the port spends up to the cap"
    ]


async def serve_http(app: MCPServer, host: str, port: int) -> None:
    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    config = uvicorn.Config(
        app.streamable_http_app(host=host), log_config=None, log_level="warning"
    )
    for line in [*exposure(host), f"pareta mcp: MCP over HTTP at http://{shown}:{bound}/mcp"]:
        print(line, file=sys.stderr, flush=True)
    try:
        await uvicorn.Server(config).serve(sockets=[sock])
    finally:
        sock.close()
