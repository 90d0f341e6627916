"""A pool gives back the slots of connections that no request owns or can reuse."""

from __future__ import annotations

from dataclasses import dataclass

from pareta._pools import reclaim_orphans


@dataclass(eq=False)
class Connection:
    idle: bool = False
    closed: bool = False
    available: bool = False

    def is_idle(self) -> bool:
        return self.idle

    def is_closed(self) -> bool:
        return self.closed

    def is_available(self) -> bool:
        return self.available


@dataclass
class Request:
    connection: Connection | None = None


def test_a_connection_left_by_a_cancelled_request_is_reclaimed() -> None:
    owned, orphan, idle, closed, shared = (
        Connection(),
        Connection(),
        Connection(idle=True),
        Connection(closed=True),
        Connection(available=True),
    )
    connections = [owned, orphan, idle, closed, shared]
    requests = [Request(owned), Request(None)]  # the second still queued
    assert reclaim_orphans(connections, requests) == [orphan]
    assert connections == [owned, idle, closed, shared]


def test_an_empty_pool_has_nothing_to_reclaim() -> None:
    connections: list[Connection] = []
    assert reclaim_orphans(connections, [Request()]) == []
