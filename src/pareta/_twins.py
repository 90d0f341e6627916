"""The few operations that truly differ between the async and the sync client.

Each async function here has a sync twin of the same name without the leading ``a``;
``tools/gen_sync.py`` maps one name onto the other, so code in ``_async/`` calls these
instead of ``anyio`` directly (``anyio.sleep`` would survive the translation unchanged
and silently do nothing useful in sync code).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import httpx

# anyio is imported where it is used: `import pareta` stays as cheap as `import httpx`.


async def asleep(seconds: float) -> None:
    import anyio

    await anyio.sleep(seconds)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


async def acheckpoint() -> None:
    """Let other tasks run (and a pending cancellation land)."""
    from anyio.lowlevel import checkpoint as yield_now

    await yield_now()


def checkpoint() -> None:
    """The sync twin: threads are preempted, nothing to yield."""


async def aread_path(path: str | os.PathLike[str]) -> bytes:
    import anyio

    return await anyio.Path(path).read_bytes()


def read_path(path: str | os.PathLike[str]) -> bytes:
    with open(path, "rb") as file:
        return file.read()


async def adrain(chunks: AsyncIterator[bytes], response: httpx.Response, within: float) -> None:
    """Read the rest of a body for up to ``within`` seconds, so its connection is reused.

    A misbehaving server or proxy may hold the response open after its last event; then
    the wait ends at ``within`` and the connection is closed instead of reused.
    """
    import anyio

    with anyio.move_on_after(within):
        async for _ in chunks:
            pass


def drain(chunks: Iterator[bytes], response: httpx.Response, within: float) -> None:
    """The sync twin bounds each blocking read instead: every read of the network stream
    the response arrived on may wait only for what is left of ``within``. A mocked
    response has no network stream, so nothing bounds a read and nothing is read."""
    network: Any = response.extensions.get("network_stream")
    read: Any = getattr(network, "read", None)
    if read is None:
        return
    deadline = time.monotonic() + within
    reader = threading.get_ident()

    def bounded_read(max_bytes: int, timeout: float | None = None) -> Any:
        if threading.get_ident() != reader:
            # The body ended and the pool lent the connection to another thread's request.
            return read(max_bytes, timeout)
        left = max(deadline - time.monotonic(), 0.0)
        return read(max_bytes, left if timeout is None else min(timeout, left))

    # The read in place may be a deadline's (see ``Deadline``): it comes back afterwards,
    # or every later call on this connection would lose its deadline.
    own = getattr(network, "__dict__", {}).get("read")
    network.read = bounded_read
    try:
        for _ in chunks:
            pass
    finally:
        if own is None:
            del network.read
        else:
            network.read = own


async def aunwind(chunks: AsyncIterator[bytes], within: float) -> None:
    """Finish the body iterator of a closed response, and every generator nested in it.

    httpx and httpcore read a body through generators inside generators. Closing the
    outer one leaves the inner ones suspended until they are collected, and trio warns
    about each. Once the response is closed a read fails or the body ends, which unwinds
    them all from the inside; a body that still yields (an in-memory mock) is given up
    after ``within`` seconds.
    """
    import anyio

    deadline = anyio.current_time() + within
    # The stream is over: whatever its body does after closing cannot matter any more.
    with contextlib.suppress(Exception), anyio.move_on_after(within):
        async for _ in chunks:
            if anyio.current_time() > deadline:
                break
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()


def unwind(chunks: Iterator[bytes], within: float) -> None:
    """The sync twin only closes the iterator: a collected generator ends without a warning
    and without reading, and a read could block."""
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


class AsyncShieldCancellation:
    """Shields clean-up (closing a response) from a cancellation already under way."""

    def __init__(self) -> None:
        import anyio

        self._scope: Any = anyio.CancelScope(shield=True)

    def __enter__(self) -> AsyncShieldCancellation:
        self._scope.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._scope.__exit__(*exc_info)


class ShieldCancellation:
    """The sync twin: a blocking call has no cancellation to shield from."""

    def __enter__(self) -> ShieldCancellation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


class AsyncLoopGuard:
    """Binds an async client to the event loop of its first request.

    httpx's pooled connections belong to one event loop; reusing them from another loop,
    or from another async library, fails in obscure ways or hangs. This says so clearly.
    """

    __slots__ = ("_native", "_token")

    def __init__(self) -> None:
        self._token: Any = None
        self._native: Any = None  # the first loop's own way to name the running loop

    def check(self) -> None:
        # The first loop's backend answers "which loop is this?" without anyio first asking
        # which library runs it; anything but "the same loop" takes the full check.
        native = self._native
        if native is not None:
            try:
                if native() is self._token.native_token:
                    return
            except RuntimeError:  # not running on that library at all
                pass
        from anyio.lowlevel import current_token

        token = current_token()
        if self._token is None:
            self._token = token
            self._native = token.backend_class.current_token
        elif token.native_token is not self._token.native_token:
            first, now = _library(self._token), _library(token)
            raise _wrong_loop(first, now)


class LoopGuard:
    """The sync twin: a blocking client has no event loop to belong to."""

    __slots__ = ()

    def check(self) -> None:
        return None


def _library(token: Any) -> str:
    return str(token.backend_class.__module__).rsplit(".", 1)[-1].lstrip("_")


def _wrong_loop(first: str, now: str) -> Exception:
    from ._exceptions import ParetaError

    where = "another event loop" if first == now else f"{now} (it was first used on {first})"
    return ParetaError(
        f"this AsyncPareta client was first used on a {first} event loop and cannot be used "
        f"from {where}: its pooled connections belong to that loop. Create one client per "
        "event loop, e.g. inside the function you pass to asyncio.run() or trio.run()."
    )


# Deadlines: one bound for a whole call, whatever the server trickles. The async twin is a
# cancel scope. A blocking read cannot be cancelled, so the sync twin shortens each socket
# read and write to the time left, and refuses one once the deadline has passed: a hook on
# httpcore's trace extension fits every connection an SDK request opens with that check.

_DEADLINE: ContextVar[float | None] = ContextVar("pareta_deadline", default=None)


class AsyncDeadline:
    """Raises ``TimeoutError`` in the code it wraps once ``at`` (``time.monotonic()``) passes."""

    # What each request carries for the deadline to reach its socket reads: nothing here.
    extensions: ClassVar[dict[str, Any]] = {}

    def __init__(self, at: float) -> None:
        import anyio

        # ``anyio.fail_after`` without its generator layer: a few microseconds per call.
        self._scope = anyio.CancelScope(deadline=anyio.current_time() + at - time.monotonic())

    def __enter__(self) -> AsyncDeadline:
        self._scope.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> bool | None:
        scope = self._scope
        suppressed = scope.__exit__(*exc_info)
        if scope.cancelled_caught:  # only its deadline cancels this scope
            raise TimeoutError
        return suppressed


def _time_left(timeout: float | None) -> float | None:
    at = _DEADLINE.get()
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise TimeoutError("the call's deadline has passed")
    return left if timeout is None else min(timeout, left)


def _bound_streams(event: str, info: dict[str, Any]) -> None:
    if event not in _CONNECTED:
        return
    import httpcore

    stream = info["return_value"]
    read, write = stream.read, stream.write

    # A read shortened to the time left times out as the deadline passes: say which it was.
    def bounded_read(max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return read(max_bytes, _time_left(timeout))  # type: ignore[no-any-return]
        except httpcore.ReadTimeout:
            _time_left(None)
            raise

    def bounded_write(buffer: bytes, timeout: float | None = None) -> None:
        write(buffer, _time_left(timeout))

    stream.read, stream.write = bounded_read, bounded_write


_CONNECTED = frozenset(
    f"connection.{step}.complete" for step in ("connect_tcp", "connect_unix_socket", "start_tls")
)


class Deadline:
    """The sync twin: socket reads and writes inside it end by ``at``, else ``TimeoutError``."""

    extensions: ClassVar[dict[str, Any]] = {"trace": _bound_streams}

    def __init__(self, at: float) -> None:
        self._at = at
        self._token: Any = None

    def __enter__(self) -> Deadline:
        # Nested in another deadline (a call inside a wait), the earlier one holds.
        outer = _DEADLINE.get()
        self._token = _DEADLINE.set(self._at if outer is None else min(outer, self._at))
        return self

    def __exit__(self, *exc_info: Any) -> bool | None:
        _DEADLINE.reset(self._token)
        return None
