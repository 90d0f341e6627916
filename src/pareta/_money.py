"""The money convention: billed totals floor to whole cents, unit rates stay in micro-USD."""

from __future__ import annotations

from decimal import Decimal

MICRO_USD_PER_USD = 1_000_000
MICRO_USD_PER_CENT = 10_000


def floor_to_cents(micro_usd: int) -> Decimal:
    """Dollars as a ``Decimal`` floored to whole cents, so a charge is never overstated."""
    return Decimal(micro_usd // MICRO_USD_PER_CENT).scaleb(-2)
