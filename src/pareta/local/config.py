"""Every option of the local server, declared once.

`Config` is the one place an option lives: its name, type, default, help text
and bounds. The command line (`python -m pareta.local`, `pareta local serve`)
builds its parser from it (`build_parser`), `LocalServer(**options)` and
`serve(**options)` take its fields as keywords, and the README's table of
options is rendered from it (`options_table`). A few options start
differently from a terminal than in-process (a real-looking deploy time, port
8000); the field says so in ``cli_default``.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import math
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .faults import Fault

MiB = 1 << 20
_NO_CLI_DEFAULT = object()
# Options that are only numbers pass through these: negative sizes and NaN are refused.
_NUMBER = (int, float)


def option(
    default: Any,
    help: str,
    *,
    cli_default: Any = _NO_CLI_DEFAULT,
    metavar: str | None = None,
    minimum: float | None = None,
    positive: bool = False,
    choices: tuple[str, ...] | None = None,
    shown: str | None = None,
    cli_flag: str | None = None,
) -> Any:
    """A `Config` field with what the parser, the constructor and the docs need to know.

    `minimum` and `positive` bound a number (and refuse NaN and infinity);
    `shown` is the default as the docs table writes it (``64 MiB``).
    """
    meta = {
        "help": help,
        "cli_default": cli_default,
        "metavar": metavar,
        "minimum": minimum,
        "positive": positive,
        "choices": choices,
        "shown": shown,
        "flag": cli_flag,
    }
    # Every default is immutable (a tuple for a list option), so it is a plain default.
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Config:
    """The local server's options (see the module docstring); every field is a keyword."""

    # -- where and as whom -----------------------------------------------------------
    host: str = option("127.0.0.1", "interface to bind")
    port: int = option(0, "port; 0 picks a free one", cli_default=8000, minimum=0)
    api_key: str | None = option(
        None, "the server's own key, never dropped (default: a fresh pareta_sk_local_ key)"
    )
    log_level: str = option(
        "warning",
        "uvicorn's log level",
        cli_default="info",
        choices=("critical", "error", "warning", "info", "debug"),
    )
    # -- the simulated service ---------------------------------------------------------
    balance: int = option(
        25_000_000, "starting balance of every org, in micro-USD", shown="25,000,000"
    )
    deploy_seconds: float = option(
        0.2, "how long a deploy or start takes", cli_default=3.0, minimum=0
    )
    eval_seconds_per_item: float = option(
        0.001, "eval run speed, seconds per item per model", cli_default=0.01, minimum=0
    )
    seed: int | None = option(None, "seed ids and fault probabilities")
    faults: tuple[Fault | str, ...] = option(
        (),
        "inject a fault, e.g. 'POST /v1/chat/completions status=503 count=2' (repeatable)",
        metavar="SPEC",
        cli_flag="--fault",
    )
    allow_server_faults: bool = option(
        False, 'let any org set server-wide faults over /admin/faults ("scope": "server")'
    )
    upstream: str | None = option(
        None, "forward inference to this OpenAI-compatible server", metavar="URL"
    )
    upstream_api_key: str | None = option(None, "bearer key for --upstream", metavar="KEY")
    upstream_model: str | None = option(
        None, "model name to request upstream (default: the first it lists)", metavar="NAME"
    )
    # -- limits ------------------------------------------------------------------------
    rate_limit: float | None = option(
        None,
        "requests per second per org on /v1 (a token bucket); 429 beyond",
        metavar="PER_SECOND",
        positive=True,
    )
    rate_burst: int = option(
        10, "requests an idle org may send at once under --rate-limit", metavar="N", minimum=1
    )
    idempotency_ttl: float = option(
        24 * 3600.0,
        "seconds an Idempotency-Key's answer is replayed",
        metavar="SECONDS",
        positive=True,
        shown="86400 (24 h)",
    )
    idempotency_max_keys: int = option(
        1_000_000,
        "Idempotency-Keys remembered per org, oldest evicted first",
        metavar="N",
        minimum=1,
        shown="1,000,000",
    )
    max_upload_bytes: int = option(
        64 * MiB, "largest eval-set file or document upload", metavar="N", minimum=1, shown="64 MiB"
    )
    upload_url_ttl: float = option(
        900.0, "seconds a signed upload URL stays valid", metavar="SECONDS", minimum=0
    )
    max_chat_bytes: int = option(
        16 * MiB, "largest chat completion request body", metavar="N", minimum=1, shown="16 MiB"
    )
    max_json_bytes: int = option(
        MiB, "largest request body of every other route", metavar="N", minimum=1, shown="1 MiB"
    )
    header_timeout: float = option(
        10.0,
        "seconds a connection has to send a request's headers; slow or silent ones are closed",
        metavar="SECONDS",
        positive=True,
    )
    idle_timeout: float = option(
        5.0,
        "seconds a kept-alive connection may sit idle between requests",
        metavar="SECONDS",
        positive=True,
    )
    body_timeout: float = option(
        30.0,
        "longest pause while a request body arrives; a stalled upload is dropped",
        metavar="SECONDS",
        positive=True,
    )
    max_header_bytes: int = option(
        64 * 1024,
        "request line and headers, in bytes (431 past it)",
        metavar="N",
        minimum=1024,
        shown="64 KiB",
    )
    max_connections: int = option(
        512,
        "open connections; past it a request is answered 503 with Retry-After",
        metavar="N",
        minimum=1,
    )
    workers: int = option(
        2, "worker processes for large chat bodies and eval scoring", metavar="N", minimum=1
    )
    inline_work_bytes: int = option(
        4 * 1024,
        "chat bodies and texts up to this size are handled on the event loop, larger ones "
        "by the workers",
        metavar="N",
        minimum=0,
        shown="4 KiB",
    )
    max_queued_per_org: int = option(
        8, "worker jobs each org may have waiting or running (429 past it)", metavar="N", minimum=1
    )
    max_queued: int = option(
        256, "worker jobs waiting across all orgs (503 past it)", metavar="N", minimum=1
    )
    max_queued_runs: int = option(
        4, "eval runs each org may have waiting or scoring (429 past it)", metavar="N", minimum=1
    )
    max_api_key_chars: int = option(
        256, "longest API key accepted (401 past it)", metavar="N", minimum=16
    )
    max_idempotency_key_chars: int = option(
        255, "longest Idempotency-Key accepted (400 past it)", metavar="N", minimum=1
    )
    max_stored_bytes: int = option(
        256 * MiB,
        "bytes of eval sets and documents each org may store (413 past it)",
        metavar="N",
        minimum=1,
        shown="256 MiB",
    )
    max_endpoints: int = option(
        100, "endpoints each org may create (409 past it)", metavar="N", minimum=0
    )
    max_faults_per_org: int = option(
        100, "faults each org may hold over /admin/faults (409 past it)", metavar="N", minimum=0
    )
    max_json_values: int = option(
        100_000,
        "JSON values (objects, arrays, items) in a body parsed on the event loop (413 past it)",
        metavar="N",
        minimum=1,
        shown="100,000",
    )
    max_orgs: int = option(
        10_000,
        "orgs kept (one per key seen); past it the org idle the longest is dropped",
        metavar="N",
        minimum=1,
        shown="10,000",
    )
    ledger_kept: int = option(
        1_000_000,
        "ledger entries kept per org, oldest first out",
        metavar="N",
        minimum=1,
        shown="1,000,000",
    )

    def __post_init__(self) -> None:
        hints = _hints()
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            _check_type(spec.name, value, hints[spec.name])
            _check_bounds(spec, value)
        # Specs are parsed here, so a bad one fails where it was given.
        try:
            faults = tuple(_as_fault(f) for f in self.faults)
        except ValueError as exc:
            raise ValueError(f"bad --fault: {exc}") from None
        object.__setattr__(self, "faults", faults)

    def parsed_faults(self) -> list[Fault]:
        """The `faults` option as `Fault` objects, fresh copies of each."""
        return [dataclasses.replace(_as_fault(f)) for f in self.faults]


def _as_fault(fault: Fault | str) -> Fault:
    return fault if isinstance(fault, Fault) else Fault.parse(fault)


@functools.cache
def _hints() -> dict[str, Any]:
    return typing.get_type_hints(Config)


def _accepted(annotation: Any) -> tuple[type, ...]:
    """The runtime types an annotation admits (`int | None` -> (int, NoneType))."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is tuple:
        return (tuple,)
    if not args:
        return (float, int) if annotation is float else (annotation,)
    return tuple(t for arg in args for t in _accepted(arg))


def _check_type(name: str, value: Any, annotation: Any) -> None:
    accepted = _accepted(annotation)
    if isinstance(value, bool) and bool not in accepted:
        accepted = ()
    if not isinstance(value, accepted) and not (isinstance(value, list) and tuple in accepted):
        allowed = " or ".join(t.__name__ for t in accepted if t is not type(None))
        raise TypeError(f"option {name} must be {allowed or 'None'}, not {type(value).__name__}")


def _check_bounds(spec: dataclasses.Field[Any], value: Any) -> None:
    meta = spec.metadata
    if not isinstance(value, _NUMBER) or isinstance(value, bool):
        if meta["choices"] and value not in meta["choices"]:
            raise ValueError(f"option {spec.name} must be one of {', '.join(meta['choices'])}")
        return
    flag = f"{spec.name} ({spec.metadata['flag'] or '--' + spec.name.replace('_', '-')})"
    if not math.isfinite(value):
        raise ValueError(f"option {flag} must be a finite number")
    if meta["positive"] and value <= 0:
        raise ValueError(f"option {flag} must be positive")
    if meta["minimum"] is not None and value < meta["minimum"]:
        raise ValueError(f"option {flag} must be at least {meta['minimum']:g}")


def options() -> Iterator[dataclasses.Field[Any]]:
    yield from dataclasses.fields(Config)


def cli_default(spec: dataclasses.Field[Any]) -> Any:
    default = spec.metadata["cli_default"]
    if default is not _NO_CLI_DEFAULT:
        return default
    return spec.default


def flag(spec: dataclasses.Field[Any]) -> str:
    return spec.metadata["flag"] or f"--{spec.name.replace('_', '-')}"


def build_parser(prog: str = "python -m pareta.local") -> argparse.ArgumentParser:
    """The command line's parser, one flag per `Config` field."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run the local, offline Pareta API (for demos, development and tests).",
    )
    hints = _hints()
    for spec in options():
        meta: Mapping[str, Any] = spec.metadata
        default = cli_default(spec)
        kwargs: dict[str, Any] = {"dest": spec.name, "help": meta["help"]}
        accepted = _accepted(hints[spec.name])
        if accepted == (bool,):
            kwargs["action"] = "store_true"
        elif accepted == (tuple,):
            kwargs.update(action="append", default=[], metavar=meta["metavar"])
        else:
            number = next((t for t in accepted if t in (int, float)), str)
            kwargs.update(type=number, default=default, metavar=meta["metavar"])
            if meta["choices"]:
                kwargs["choices"] = meta["choices"]
            if default is not None:
                kwargs["help"] += " (default: %(default)s)"
        parser.add_argument(flag(spec), **kwargs)
    return parser


def as_options(config: Config) -> dict[str, Any]:
    """The config as the keywords of `LocalServer` and `serve`."""
    return {spec.name: getattr(config, spec.name) for spec in options()}


def config_from_args(args: argparse.Namespace) -> Config:
    """A `Config` from parsed arguments; ValueError or TypeError names the bad option."""
    return Config(**{spec.name: getattr(args, spec.name) for spec in options()})


def _shown(spec: dataclasses.Field[Any], value: Any, *, label: bool = True) -> str:
    if label and spec.metadata["shown"] is not None:
        return str(spec.metadata["shown"])
    if value is None or value is False:
        return "off" if spec.metadata["positive"] or value is False else "none"
    if value == ():
        return "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


def options_table() -> str:
    """The README's table of options, as Markdown."""
    lines = [
        "| `LocalServer(...)` | command line | default | what it sets |",
        "|---|---|---|---|",
    ]
    for spec in options():
        default = _shown(spec, spec.default)
        cli = spec.metadata["cli_default"]
        if cli is not _NO_CLI_DEFAULT:
            default += f" (command line: {_shown(spec, cli, label=False)})"
        text = spec.metadata["help"].replace("|", "\\|")
        lines.append(f"| `{spec.name}` | `{flag(spec)}` | {default} | {text} |")
    return "\n".join(lines)
