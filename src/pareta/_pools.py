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
