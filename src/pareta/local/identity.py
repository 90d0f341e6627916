"""Who a request speaks for, read once: every layer (routes, rate limiter,
`Idempotency-Key` store, faults) uses this one reading.

A request that names its caller ambiguously is a 400 before anything else runs:
more than one ``Authorization`` header, a key also sent as ``X-Api-Key``,
``Api-Key`` or an ``api_key`` query parameter, or more than one
``Idempotency-Key``. Otherwise the first layer to disagree with the next (the
route billing one org, the rate limiter counting another) would let one org
spend another's quota or read its replays. A key longer than
``max_api_key_chars`` is a 401 and an ``Idempotency-Key`` longer than
``max_idempotency_key_chars`` a 400: neither is kept per org at any size.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from .auth import KEY_PREFIX, org_id_for
from .bodies import json_error
from .config import Config

IDENTITY_KEY = "pareta.identity"
# Where else a client might put a key; the server reads only Authorization, so any of
# these beside it is a second, conflicting identity.
_OTHER_KEY_HEADERS = frozenset({b"x-api-key", b"api-key"})
_KEY_PARAMS = frozenset({"api_key", "api-key", "key"})


@dataclass(frozen=True)
class Identity:
    """The request's one ``Authorization`` value, the Pareta key in it, and its org."""

    authorization: str | None = None
    api_key: str | None = None
    idempotency_key: str | None = None

    @property
    def org_id(self) -> str | None:
        return org_id_for(self.api_key) if self.api_key else None


class Ambiguous(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _bearer_key(authorization: str) -> str | None:
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(KEY_PREFIX):
        return None
    return token


def read_identity(scope: Scope, config: Config) -> Identity:
    """The request's identity, or `Ambiguous` (a 400 or 401 to answer)."""
    authorizations: list[bytes] = []
    idempotency_keys: list[bytes] = []
    elsewhere = False
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorizations.append(value)
        elif name == b"idempotency-key":
            idempotency_keys.append(value)
        elif name in _OTHER_KEY_HEADERS:
            elsewhere = True
    query = scope.get("query_string", b"")
    if query and any(k in _KEY_PARAMS for k, _ in parse_qsl(query.decode("latin-1"))):
        elsewhere = True
    if len(authorizations) > 1 or (authorizations and elsewhere):
        raise Ambiguous(
            400,
            "Send the API key once, in one 'Authorization: Bearer pareta_sk_...' header "
            "(this request carries more than one key).",
        )
    if len(idempotency_keys) > 1:
        raise Ambiguous(400, "Send at most one Idempotency-Key header.")
    idempotency_key = idempotency_keys[0].decode("latin-1") if idempotency_keys else None
    limit = config.max_idempotency_key_chars
    if idempotency_key is not None and len(idempotency_key) > limit:
        raise Ambiguous(
            400,
            f"Idempotency-Key is {len(idempotency_key)} characters; at most {limit} are "
            "accepted (--max-idempotency-key-chars). Use a shorter key, such as a UUID.",
        )
    if not authorizations:
        return Identity(idempotency_key=idempotency_key)
    authorization = authorizations[0].decode("latin-1")
    api_key = _bearer_key(authorization)
    if api_key is not None and len(api_key) > config.max_api_key_chars:
        raise Ambiguous(
            401,
            f"API key is {len(api_key)} characters; this server accepts at most "
            f"{config.max_api_key_chars} (--max-api-key-chars).",
        )
    return Identity(authorization, api_key, idempotency_key)


def identity_of(scope: Scope) -> Identity:
    """The identity `IdentityMiddleware` read (an empty one outside the app's stack)."""
    identity: Identity = scope.get(IDENTITY_KEY) or Identity()
    return identity


class IdentityMiddleware:
    def __init__(self, app: ASGIApp, config: Config) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            scope[IDENTITY_KEY] = read_identity(scope, self.config)
        except Ambiguous as exc:
            await json_error(send, exc.status, exc.detail)
            return
        await self.app(scope, receive, send)
