"""A hook through which a caller watches the attempts of its requests.

The request core calls the observer set in ``current_observer`` (if any) before each
attempt and with each answer; it knows nothing of who watches. The batch engine sets one
around each row's call, to pace the job and to count what the row cost. A context
variable reaches through any client method without a parameter on each of them.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable
from typing import Protocol


class Observer(Protocol):
    def admit(self) -> tuple[float, bool]:
        """Seconds to wait before the next attempt, and whether it may go after that wait
        (if not, ask again after it)."""

    def answered(self, status: int, raw_headers: Iterable[tuple[bytes, bytes]]) -> None:
        """An attempt got an answer."""

    def failed(self) -> None:
        """An attempt failed before any answer (a connection error)."""

    def handles(self, status: int) -> bool:
        """Whether the observer retries this answer itself, outside ``max_retries``."""


current_observer: contextvars.ContextVar[Observer | None] = contextvars.ContextVar(
    "pareta_observer", default=None
)
