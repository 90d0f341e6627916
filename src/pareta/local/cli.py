"""The command line: `python -m pareta.local` and `pareta local serve`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable

import uvicorn

from .app import create_app
from .auth import mint_api_key
from .bodies import DEFAULT_MAX_CHAT_BYTES, DEFAULT_MAX_JSON_BYTES
from .faults import Fault
from .idempotency import DEFAULT_MAX_KEYS, DEFAULT_TTL_SECONDS
from .ratelimit import DEFAULT_RATE_BURST
from .server import as_faults, bind_socket, quiet_injected_drops
from .state import DEFAULT_BALANCE_MICRO_USD, DEFAULT_MAX_ORGS, Config, ServerState


def build_parser(prog: str = "python -m pareta.local") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run the local, offline Pareta API (for demos, development and tests).",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="port; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--balance",
        type=int,
        default=DEFAULT_BALANCE_MICRO_USD,
        help="starting balance of every org, in micro-USD (default: %(default)s)",
    )
    parser.add_argument(
        "--deploy-seconds",
        type=float,
        default=3.0,
        help="how long a deploy or start takes (default: %(default)s)",
    )
    parser.add_argument(
        "--eval-seconds-per-item",
        type=float,
        default=0.01,
        help="eval run speed, seconds per item per model (default: %(default)s)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="inject a fault, e.g. 'POST /v1/chat/completions status=503 count=2' (repeatable)",
    )
    parser.add_argument(
        "--upstream", metavar="URL", help="forward inference to this OpenAI-compatible server"
    )
    parser.add_argument("--upstream-api-key", metavar="KEY", help="bearer key for --upstream")
    parser.add_argument(
        "--upstream-model",
        metavar="NAME",
        help="model name to request upstream (default: the first it lists)",
    )
    parser.add_argument(
        "--rate-limit",
        type=float,
        metavar="PER_SECOND",
        help="requests per second per org on /v1 (a token bucket); 429 beyond (default: off)",
    )
    parser.add_argument(
        "--rate-burst",
        type=int,
        default=DEFAULT_RATE_BURST,
        metavar="N",
        help="requests an idle org may send at once under --rate-limit (default: %(default)s)",
    )
    parser.add_argument(
        "--idempotency-ttl",
        type=float,
        default=DEFAULT_TTL_SECONDS,
        metavar="SECONDS",
        help="how long an Idempotency-Key's answer is replayed (default: %(default)s)",
    )
    parser.add_argument(
        "--idempotency-max-keys",
        type=int,
        default=DEFAULT_MAX_KEYS,
        metavar="N",
        help="Idempotency-Keys remembered per org, oldest evicted first (default: %(default)s)",
    )
    parser.add_argument(
        "--max-upload-bytes",
        type=int,
        default=64 << 20,
        metavar="N",
        help="largest eval-set file or document upload (default: %(default)s)",
    )
    parser.add_argument(
        "--max-chat-bytes",
        type=int,
        default=DEFAULT_MAX_CHAT_BYTES,
        metavar="N",
        help="largest chat completion request body (default: %(default)s)",
    )
    parser.add_argument(
        "--max-json-bytes",
        type=int,
        default=DEFAULT_MAX_JSON_BYTES,
        metavar="N",
        help="largest request body of every other route (default: %(default)s)",
    )
    parser.add_argument(
        "--max-orgs",
        type=int,
        default=DEFAULT_MAX_ORGS,
        metavar="N",
        help="orgs kept (one per key seen); past it the oldest idle one is dropped "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--allow-server-faults",
        action="store_true",
        help='let any org set server-wide faults over /admin/faults ("scope": "server")',
    )
    parser.add_argument("--seed", type=int, help="seed ids and fault probabilities")
    parser.add_argument(
        "--api-key", help="the key to print (default: a fresh pareta_sk_local_ key)"
    )
    parser.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    return parser


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    balance: int = DEFAULT_BALANCE_MICRO_USD,
    deploy_seconds: float = 3.0,
    eval_seconds_per_item: float = 0.01,
    faults: Iterable[Fault | str] = (),
    upstream: str | None = None,
    upstream_api_key: str | None = None,
    upstream_model: str | None = None,
    rate_limit: float | None = None,
    rate_burst: int = DEFAULT_RATE_BURST,
    idempotency_ttl: float = DEFAULT_TTL_SECONDS,
    idempotency_max_keys: int = DEFAULT_MAX_KEYS,
    max_upload_bytes: int = 64 << 20,
    max_chat_bytes: int = DEFAULT_MAX_CHAT_BYTES,
    max_json_bytes: int = DEFAULT_MAX_JSON_BYTES,
    allow_server_faults: bool = False,
    max_orgs: int = DEFAULT_MAX_ORGS,
    seed: int | None = None,
    api_key: str | None = None,
    log_level: str = "info",
) -> None:
    """Serve in the foreground until interrupted, after printing the URL and a key."""
    config = Config(
        starting_balance=balance,
        deploy_seconds=deploy_seconds,
        eval_seconds_per_item=eval_seconds_per_item,
        seed=seed,
        upstream=upstream,
        upstream_api_key=upstream_api_key,
        upstream_model=upstream_model,
        rate_limit=rate_limit,
        rate_burst=rate_burst,
        idempotency_ttl=idempotency_ttl,
        idempotency_max_keys=idempotency_max_keys,
        max_upload_bytes=max_upload_bytes,
        max_chat_bytes=max_chat_bytes,
        max_json_bytes=max_json_bytes,
        allow_server_faults=allow_server_faults,
        max_orgs=max_orgs,
    )
    state = ServerState(config, as_faults(faults))
    api_key = api_key or mint_api_key()
    state.org(api_key, pin=True)
    sock = bind_socket(host, port)
    try:
        shown = f"[{host}]" if ":" in host else host
        base_url = f"http://{shown}:{sock.getsockname()[1]}"
        print(f"Pareta local server running at {base_url}", flush=True)
        print(f"export PARETA_BASE_URL={base_url} PARETA_API_KEY={api_key}", flush=True)
        quiet_injected_drops()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(state), log_level=log_level, lifespan="off", timeout_graceful_shutdown=5
            )
        )
        server.run(sockets=[sock])
    finally:
        state.close()
        sock.close()


def main(argv: list[str] | None = None, *, prog: str = "python -m pareta.local") -> int:
    args = build_parser(prog).parse_args(argv)
    try:
        faults = as_faults(args.fault)
    except ValueError as exc:
        print(f"error: bad --fault: {exc}", file=sys.stderr)
        return 2
    if args.rate_limit is not None and not (0 < args.rate_limit < float("inf")):
        print(
            "error: --rate-limit must be a positive number of requests per second", file=sys.stderr
        )
        return 2
    counts = (args.rate_burst, args.idempotency_max_keys, args.max_upload_bytes)
    sizes = (args.max_chat_bytes, args.max_json_bytes, args.max_orgs)
    if min(*counts, *sizes) < 1 or not args.idempotency_ttl > 0:
        print(
            "error: --rate-burst, --idempotency-max-keys, --max-orgs and the --max-*-bytes options "
            "must be at least 1, and --idempotency-ttl positive",
            file=sys.stderr,
        )
        return 2
    try:
        serve(
            host=args.host,
            port=args.port,
            balance=args.balance,
            deploy_seconds=args.deploy_seconds,
            eval_seconds_per_item=args.eval_seconds_per_item,
            faults=faults,
            upstream=args.upstream,
            upstream_api_key=args.upstream_api_key,
            upstream_model=args.upstream_model,
            rate_limit=args.rate_limit,
            rate_burst=args.rate_burst,
            idempotency_ttl=args.idempotency_ttl,
            idempotency_max_keys=args.idempotency_max_keys,
            max_upload_bytes=args.max_upload_bytes,
            max_chat_bytes=args.max_chat_bytes,
            max_json_bytes=args.max_json_bytes,
            allow_server_faults=args.allow_server_faults,
            max_orgs=args.max_orgs,
            seed=args.seed,
            api_key=args.api_key,
            log_level=args.log_level,
        )
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
