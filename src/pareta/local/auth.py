"""Bearer API keys: every distinct `pareta_sk_...` key is its own org."""

from __future__ import annotations

import hashlib
import secrets

from fastapi import HTTPException

KEY_PREFIX = "pareta_sk_"
LOCAL_KEY_PREFIX = "pareta_sk_local_"


def mint_api_key() -> str:
    return f"{LOCAL_KEY_PREFIX}{secrets.token_hex(16)}"


def org_id_for(api_key: str) -> str:
    return "org_" + hashlib.sha256(api_key.encode()).hexdigest()[:16]


def require_api_key(authorization: str | None) -> str:
    if not authorization:
        raise HTTPException(
            401,
            "Missing API key. Send 'Authorization: Bearer pareta_sk_...' (set PARETA_API_KEY).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if (
        scheme.lower() != "bearer"
        or not token.startswith(KEY_PREFIX)
        or len(token) == len(KEY_PREFIX)
    ):
        raise HTTPException(
            401,
            "Invalid API key. Pareta keys look like 'pareta_sk_...'; mint one in the dashboard.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token
