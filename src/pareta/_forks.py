"""Forked children get fresh connection pools: a socket must never be shared by two processes."""

from __future__ import annotations

import os
import weakref
from typing import Protocol


class Forkable(Protocol):
    def reset_after_fork(self) -> None: ...


_clients: weakref.WeakSet[Forkable] = weakref.WeakSet()


def reset_in_children(client: Forkable) -> None:
    _clients.add(client)


def _after_fork_in_child() -> None:  # pragma: no cover  # runs in the child: test_lifecycle
    for client in list(_clients):
        client.reset_after_fork()


if hasattr(os, "register_at_fork"):  # pragma: no branch  # absent only on Windows
    os.register_at_fork(after_in_child=_after_fork_in_child)
