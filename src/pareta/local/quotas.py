"""Per-org quotas: what one org may keep on the server, and the 4xx past it.

Every quota is an option of `Config`; the answer names it, so whoever runs the
server knows what to raise.
"""

from __future__ import annotations

from fastapi import HTTPException

from .records import EvalSet, Org
from .state import SEED_ENDPOINTS

SEED_ENDPOINT_IDS = frozenset(endpoint_id for endpoint_id, _, _ in SEED_ENDPOINTS)
# What an eval set or a document costs the server beyond its bytes (its record, its ids).
RECORD_BYTES = 1024


class QuotaExceeded(HTTPException):
    def __init__(self, status: int, what: str, option: str, limit: int) -> None:
        flag = f"--{option.replace('_', '-')}"
        super().__init__(
            status,
            f"{what}: this org may hold at most {limit} ({option}, {flag}). "
            f"Delete some first, or start the server with a higher {flag}.",
        )


def store_check(org: Org, held: int, size: int, limit: int) -> None:
    """Refuse (413) `size` more bytes on top of `held` when they pass the org's storage."""
    if size > 0 and held + size > limit:
        raise QuotaExceeded(
            413,
            f"Storing {size} more bytes would bring this org to {held + size} bytes",
            "max_stored_bytes",
            limit,
        )


def store(org: Org, size: int, limit: int) -> None:
    """Count `size` more bytes (fewer if negative) against the org's storage, or refuse (413)."""
    store_check(org, org.stored_bytes, size, limit)
    org.stored_bytes = max(0, org.stored_bytes + size)


def release(org: Org, size: int) -> None:
    org.stored_bytes = max(0, org.stored_bytes - size)


def eval_set_bytes(eval_set: EvalSet) -> int:
    """Everything an eval set holds: its rows, its documents and uploads waiting to attach."""
    blobs = sum(blob.size + RECORD_BYTES for blob in eval_set.blobs.values())
    staged = sum(blob.size + RECORD_BYTES for _, blob in eval_set.staged.values())
    return eval_set.size + RECORD_BYTES + blobs + staged


def check_endpoints(org: Org, limit: int) -> None:
    created = sum(1 for endpoint_id in org.endpoints if endpoint_id not in SEED_ENDPOINT_IDS)
    if created >= limit:
        raise QuotaExceeded(409, f"This org has {created} endpoints", "max_endpoints", limit)
