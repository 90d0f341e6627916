"""What the cluster tests read from the local server's ledger."""

from __future__ import annotations

from typing import Any


def billed_before(ledger: list[dict[str, Any]], row_id: str) -> int:
    """How many rows were billed before ``row_id`` was. When ``row_id`` made the org's
    first request and was told to come back later, these were answered while it waited."""
    billed = {e["idempotency_key"].split(".")[1]: e["created"] for e in ledger}
    return sum(when < billed[row_id] for when in billed.values())
