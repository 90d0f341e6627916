"""Keeping httpcore's connection pools whole when requests are cancelled.

httpcore 1.0 hands a new connection to a queued request before that request wakes up to
open it. A request cancelled in that window (a timeout scope firing as the pool makes
room) is removed from the queue, but its connection stays behind: never opened, so
neither idle nor closed, and owned by no one. The pool keeps counting it against its
limit forever (encode/httpcore#1093). A pool of 2 is dead after two such losses.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar


class _Connection(Protocol):
    def is_idle(self) -> bool: ...

    def is_closed(self) -> bool: ...

    def is_available(self) -> bool: ...


C = TypeVar("C", bound=_Connection)


def reclaim_orphans(connections: list[C], requests: Iterable[Any]) -> list[C]:
    """Remove, and return for closing, the connections that no request owns and that no
    request could ever reuse: they only hold a slot of the pool."""
    if not connections:
        return []
    owned = {id(request.connection) for request in requests}
    orphans = [
        connection
        for connection in connections
        if id(connection) not in owned
        and not (connection.is_idle() or connection.is_closed() or connection.is_available())
    ]
    for connection in orphans:
        connections.remove(connection)
    return orphans


def drop_leftovers(connections: list[Any]) -> list[Any]:
    """Remove, and return for closing, the idle HTTP/1.1 connections that hold bytes the
    server sent after the end of the last answer (a body longer than its
    ``Content-Length``). Reused, the next request would read them as its own answer."""
    dropped = [
        connection for connection in connections if connection.is_idle() and _unread(connection)
    ]
    for connection in dropped:
        connections.remove(connection)
    return dropped


def _unread(connection: object) -> bool:
    # httpcore wraps the HTTP/1.1 connection that keeps the h11 state (once, or twice
    # through a proxy). An HTTP/2 one has none: its frames name their stream.
    for _ in range(3):
        connection = getattr(connection, "_connection", None)
        state = getattr(connection, "_h11_state", None)
        if state is not None:
            return bool(state.trailing_data[0])
    return False
