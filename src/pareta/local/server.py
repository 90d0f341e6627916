"""`LocalServer`: the local Pareta API on a free port, in a background thread."""

from __future__ import annotations

import dataclasses
import inspect
import logging
import socket
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any

import uvicorn

from .app import create_app
from .auth import mint_api_key
from .config import Config
from .connections import bounded_protocol
from .faults import DropLogFilter, Fault
from .state import ServerState

STARTUP_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 10.0


def quiet_injected_drops() -> None:
    """Keep uvicorn from logging a traceback for each connection a fault dropped."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, DropLogFilter) for f in logger.filters):
        logger.addFilter(DropLogFilter())


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # An explicit IPPROTO_TCP makes asyncio set TCP_NODELAY on accepted connections;
    # without it every keep-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


def uvicorn_config(state: ServerState, **options: Any) -> uvicorn.Config:
    """uvicorn's settings for serving `state`, with the connection bounds of its config."""
    config = state.config
    return uvicorn.Config(
        create_app(state),
        http=bounded_protocol(config),
        timeout_keep_alive=config.idle_timeout,  # type: ignore[arg-type]
        log_level=config.log_level,
        lifespan="off",
        **options,
    )


def as_faults(faults: Iterable[Fault | str]) -> list[Fault]:
    return [f if isinstance(f, Fault) else Fault.parse(f) for f in faults]


def _configured(config: Config | None, options: dict[str, Any]) -> Config:
    """`config`, with `options` (the fields of `Config`, as keywords) over it."""
    if config is None:
        return Config(**options)
    return dataclasses.replace(config, **options) if options else config


def _signature() -> inspect.Signature:
    """`LocalServer(**options)` as `help()` shows it: every field of `Config`, with its default."""
    config = inspect.Parameter("config", inspect.Parameter.POSITIONAL_ONLY, default=None)
    fields = [
        inspect.Parameter(
            spec.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=spec.default,
        )
        for spec in dataclasses.fields(Config)
    ]
    return inspect.Signature([config, *fields])


class _ThreadedServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()

    def run_in_thread(self, sock: socket.socket) -> None:
        try:
            self.run(sockets=[sock])
        finally:
            self.ready.set()


class LocalServer:
    """The local Pareta API on 127.0.0.1, served by uvicorn in a background thread.

    Use it as a context manager (or call `start()` / `stop()`). It works from
    sync code and from asyncio or trio tests alike, since it owns its own
    thread and event loop. `base_url` has no trailing slash and no `/v1`;
    `api_key` is a fresh org's key. The options are the fields of
    `pareta.local.Config`, as keywords (``LocalServer(balance=10**9,
    rate_limit=5)``), or a `Config` itself; an unknown one is a TypeError.
    """

    __signature__ = _signature()

    def __init__(self, config: Config | None = None, /, **options: Any) -> None:
        config = _configured(config, options)
        self.config = config
        self.state = ServerState(config)
        self.api_key = config.api_key or mint_api_key()
        self.state.org(self.api_key, pin=True)
        self.host = config.host
        self._server: _ThreadedServer | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    # -- lifecycle --------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._socket is None:
            raise RuntimeError("LocalServer is not running; call start() or use it in a with block")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._socket.getsockname()[1]}"

    def start(self) -> LocalServer:
        if self._thread is not None:
            raise RuntimeError("LocalServer already started")
        quiet_injected_drops()
        self.state.work.closed = False  # a server stopped and started again scores again
        self._socket = bind_socket(self.host, self.config.port)
        config = uvicorn_config(
            self.state, log_config=None, access_log=False, timeout_graceful_shutdown=2
        )
        self._server = _ThreadedServer(config)
        self._thread = threading.Thread(
            target=self._server.run_in_thread,
            args=(self._socket,),
            name="pareta-local",
            daemon=True,
        )
        self._thread.start()
        started = self._server.ready.wait(STARTUP_TIMEOUT) and self._server.started
        # With its socket already bound, uvicorn has nothing left to fail at start-up.
        if not started:  # pragma: no cover
            self.stop()
            raise RuntimeError("the local Pareta server failed to start")
        return self

    def stop(self) -> None:
        self.state.close()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(SHUTDOWN_TIMEOUT)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- admin helpers ------------------------------------------------------------

    def _org_id(self, api_key: str | None) -> str:
        return self.state.org(api_key or self.api_key).id

    def balance(self, api_key: str | None = None) -> int:
        """The org's balance in micro-USD (this server's key unless another is given)."""
        self.state.meter.quiesce()
        return self.state.meter.balance(self._org_id(api_key))

    def set_balance(self, micro_usd: int, api_key: str | None = None) -> None:
        self.state.meter.set_balance(self._org_id(api_key), micro_usd)

    def ledger(self, api_key: str | None = None) -> list[dict[str, Any]]:
        """One entry per debit: kind, amount_micro_usd, request_id, idempotency_key, detail..."""
        self.state.meter.quiesce()
        return [entry.to_json() for entry in self.state.meter.ledger(self._org_id(api_key))]

    def inject_fault(self, fault: Fault | str, api_key: str | None = None) -> Fault:
        """Add a `Fault`, or a spec such as 'POST /v1/chat/completions status=503'.

        As the operator's, it is server-wide; with `api_key` it hits that org only.
        """
        added = as_faults([fault])[0]
        added.org_id = self._org_id(api_key) if api_key else None
        return self.state.faults.add(added)

    def clear_faults(self) -> None:
        """Remove every fault, every org's included."""
        self.state.faults.clear()

    def faults(self) -> list[Fault]:
        return self.state.faults.list()

    def mint_key(self) -> str:
        """A key for another, separate org (opened with the starting balance)."""
        return self.state.mint_org().api_key
