"""The spending cap: what the server may spend in its life, held before each metered call.

A metered call (an eval run, a chat completion, a batch job) first *holds* an estimate of
its cost; a call whose estimate does not fit under the cap is refused before it is sent.
When the API reports what the call cost, the hold is settled at that figure; when it
reports nothing, the estimate stays spent, so an unreported cost is never counted low.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation

MICRO_USD_PER_USD = 1_000_000
DEFAULT_MAX_SPEND_USD = Decimal("1.00")


class SpendingCapError(Exception):
    """A metered call would take the server's spending past its cap; nothing was sent."""

    def __init__(self, message: str, *, estimate: int, left: int) -> None:
        super().__init__(message)
        self.estimate_micro_usd = estimate
        self.left_micro_usd = left


def usd(micro_usd: int) -> str:
    """Micro-USD as dollars for a person: exact, with no trailing noise (``$0.000875``)."""
    whole, _, cents = f"{Decimal(micro_usd).scaleb(-6):.6f}".partition(".")
    return f"${whole}.{cents.rstrip('0').ljust(2, '0')}"


def parse_usd(text: str) -> int:
    """A dollar amount (``"0.50"``) as whole micro-USD, rounded down; ``ValueError`` if bad."""
    try:
        dollars = Decimal(text.strip().removeprefix("$"))
    except InvalidOperation:
        raise ValueError(f"not an amount in dollars: {text!r} (try 0.50)") from None
    if not dollars.is_finite() or dollars < 0:
        raise ValueError(f"the spending cap must be a dollar amount of 0 or more, not {text!r}")
    return int((dollars * MICRO_USD_PER_USD).to_integral_value(ROUND_FLOOR))


def ceil_micro_usd(value: float | Decimal) -> int:
    """An estimate in micro-USD, rounded up: an estimate errs high."""
    return int(Decimal(str(value)).to_integral_value(ROUND_CEILING))


@dataclass(frozen=True)
class Hold:
    key: str
    what: str
    micro_usd: int


class SpendingCap:
    """The cap, what has been spent, and what is held for calls whose cost is not yet known.

    Shared by every session of one server (an HTTP server serves many), so the sums sit
    behind a lock; holding and refusing happen in one step, so two calls cannot both fit
    in the same last dollar.
    """

    def __init__(self, limit_micro_usd: int) -> None:
        self.limit = limit_micro_usd
        self.spent = 0
        self._holds: dict[str, Hold] = {}
        self._lock = threading.Lock()

    @property
    def held(self) -> int:
        return sum(hold.micro_usd for hold in self._holds.values())

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.spent - self.held)

    def holds(self) -> list[Hold]:
        return list(self._holds.values())

    def hold(self, key: str, what: str, estimate: int) -> None:
        """Set ``estimate`` aside for ``what``, or raise ``SpendingCapError`` if it does not fit."""
        with self._lock:
            if key in self._holds:
                raise ValueError(f"{what} is already held under {key!r}")
            left = self.limit - self.spent - self.held
            if estimate > left:
                raise SpendingCapError(
                    self._refusal(what, estimate, left), estimate=estimate, left=max(0, left)
                )
            self._holds[key] = Hold(key, what, estimate)

    def settle(self, key: str, actual: int | None) -> int | None:
        """Release the hold and spend ``actual`` (the estimate when ``None``: nothing was
        reported). Returns what was spent, or ``None`` if nothing was held under ``key``."""
        with self._lock:
            hold = self._holds.pop(key, None)
            if hold is None:
                return None
            spent = hold.micro_usd if actual is None else max(0, actual)
            self.spent += spent
            return spent

    def rename(self, key: str, new_key: str) -> None:
        """Move a hold to the id the call got once sent (an eval run's id, say)."""
        with self._lock:
            hold = self._holds.pop(key)
            self._holds[new_key] = Hold(new_key, hold.what, hold.micro_usd)

    def _refusal(self, what: str, estimate: int, left: int) -> str:
        held = self.held
        pending = f", {usd(held)} held for calls still running" if held else ""
        return (
            f"{what} is estimated at {usd(estimate)}, more than the {usd(max(0, left))} left "
            f"under this server's spending cap of {usd(self.limit)} (spent {usd(self.spent)}"
            f"{pending}). Nothing was sent. Ask the user to restart the server with a higher "
            "--max-spend-usd if the spend is wanted."
        )
