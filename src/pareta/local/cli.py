"""The command line: `python -m pareta.local` and `pareta local serve`.

Its flags are the fields of `Config` (see `pareta.local.config`).
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn

from . import work
from .auth import mint_api_key
from .config import Config, as_options, build_parser, config_from_args
from .server import _configured, bind_socket, quiet_injected_drops, uvicorn_config
from .state import ServerState

__all__ = ["build_parser", "main", "serve"]


def serve(config: Config | None = None, /, **options: Any) -> None:
    """Serve in the foreground until interrupted, after printing the URL and a key.

    The options are the fields of `Config`, as keywords (or a `Config`).
    """
    config = _configured(config, options)
    state = ServerState(config)
    api_key = config.api_key or mint_api_key()
    state.org(api_key, pin=True)
    host = config.host
    sock = bind_socket(host, config.port)
    try:
        shown = f"[{host}]" if ":" in host else host
        base_url = f"http://{shown}:{sock.getsockname()[1]}"
        print(f"Pareta local server running at {base_url}", flush=True)
        print(f"export PARETA_BASE_URL={base_url} PARETA_API_KEY={api_key}", flush=True)
        quiet_injected_drops()
        server = uvicorn.Server(uvicorn_config(state, timeout_graceful_shutdown=5))
        server.run(sockets=[sock])
    finally:
        state.close()
        work.shutdown()
        sock.close()


def main(argv: list[str] | None = None, *, prog: str = "python -m pareta.local") -> int:
    args = build_parser(prog).parse_args(argv)
    try:
        config = config_from_args(args)
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        serve(**as_options(config))
    except OSError as exc:
        print(f"error: cannot serve on {config.host}:{config.port}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
