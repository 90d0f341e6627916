"""Blob storage for eval-set documents, and the signed upload URLs that reach it.

Blobs live in memory, keyed by (org, eval set, row, field), never by a client
supplied file name, so nothing can escape a storage folder. A signed upload
token is an HMAC over its claims (org, set, row, field, size, expiry, a
single-use id); the `PUT` it authorises needs no API key, like a cloud
storage signed URL. A token is spent when its upload has arrived whole: a
`PUT` cut off mid-body leaves it valid for the retry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Blob:
    data: bytes
    mime: str

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def describe(self) -> dict[str, Any]:
        return {"mime": self.mime, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class UploadClaims:
    upload_id: str
    org_id: str
    eval_set_id: str
    idx: int
    field_name: str
    mime: str
    max_bytes: int
    expires_at: float


_USED = "upload token was already used; request a new upload URL"


class TokenRejected(Exception):
    """The token is forged, altered, expired, reused, or for another object."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class UploadSigner:
    def __init__(self, ttl_seconds: float, secret: bytes | None = None) -> None:
        self.ttl_seconds = ttl_seconds
        self._secret = secret or secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._used: set[str] = set()

    def mint(
        self, org_id: str, eval_set_id: str, idx: int, field_name: str, mime: str, max_bytes: int
    ) -> tuple[UploadClaims, str]:
        claims = UploadClaims(
            upload_id=f"upl_{secrets.token_hex(10)}",
            org_id=org_id,
            eval_set_id=eval_set_id,
            idx=idx,
            field_name=field_name,
            mime=mime,
            max_bytes=max_bytes,
            expires_at=time.time() + self.ttl_seconds,
        )
        payload = json.dumps(claims.__dict__, separators=(",", ":"), sort_keys=True).encode()
        return claims, f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()

    def verify(self, token: str, eval_set_id: str, idx: int, field_name: str) -> UploadClaims:
        """The token's claims if it may upload to this set, row and field right now."""
        try:
            encoded_payload, encoded_sig = token.split(".")
            payload, signature = _unb64(encoded_payload), _unb64(encoded_sig)
        except ValueError:
            raise TokenRejected("malformed upload token") from None
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise TokenRejected("upload token signature does not match")
        claims = UploadClaims(**json.loads(payload))
        if (claims.eval_set_id, claims.idx, claims.field_name) != (eval_set_id, idx, field_name):
            raise TokenRejected("upload token was issued for a different eval set, row or field")
        if time.time() >= claims.expires_at:
            raise TokenRejected("upload token has expired; request a new upload URL")
        with self._lock:
            if claims.upload_id in self._used:
                raise TokenRejected(_USED)
        return claims

    def spend(self, claims: UploadClaims) -> None:
        """Mark the token used, once its upload has arrived whole (a dropped one may retry)."""
        with self._lock:
            if claims.upload_id in self._used:
                raise TokenRejected(_USED)
            self._used.add(claims.upload_id)
