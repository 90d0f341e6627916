"""What every route needs: the state, the caller's org, and response helpers."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request
from fastapi.responses import Response

from .auth import require_api_key
from .identity import identity_of
from .metering import SETTLEMENT_KEY, Settlement
from .records import Org
from .state import ServerState


# The dependencies are coroutines: FastAPI runs a plain function dependency on a worker
# thread, a hop that cost every request more than the lookup itself.
async def state_of(request: Request) -> ServerState:
    state: ServerState = request.app.state.pareta
    return state


async def org_of(request: Request, authorization: Annotated[str | None, Header()] = None) -> Org:
    # The header parameter documents the key in the schema; the value used is the one
    # `IdentityMiddleware` read for every layer.
    state: ServerState = request.app.state.pareta
    return state.org(require_api_key(identity_of(request.scope).authorization))


CurrentOrg = Annotated[Org, Depends(org_of)]
State = Annotated[ServerState, Depends(state_of)]


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def settlement(request: Request) -> Settlement:
    value: Settlement = request.scope[SETTLEMENT_KEY]
    return value


def not_found(kind: str, ident: str) -> HTTPException:
    return HTTPException(404, f"{kind} {ident!r} not found")


def invalid(loc: list[str | int], message: str, value: Any = None) -> HTTPException:
    """A 422 shaped like FastAPI's own validation errors."""
    return HTTPException(422, [{"type": "value_error", "loc": loc, "msg": message, "input": value}])


def json_response(
    payload: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code, headers, media_type="application/json")


def sse_event(data: Any, event: str | None = None) -> bytes:
    payload = (
        data
        if isinstance(data, str)
        else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    )
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {payload}\n\n".encode()


MAX_JSON_DEPTH = 64


def too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `value` nests lists and objects more than `limit` deep (walked without recursion)."""
    level: list[Any] = [value]
    for _ in range(limit + 1):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return False
    return True


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def parse_json(raw: bytes | bytearray | str, loc: list[str | int], what: str) -> Any:
    """Parsed JSON, or a 422 naming `what` was wrong: bad syntax, encoding or nesting."""
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        value = None
        deep = True
    except (ValueError, UnicodeDecodeError):
        raise invalid(loc, f"{what} is not valid JSON (UTF-8, finite numbers)") from None
    else:
        deep = too_deep(value)
    if deep:
        raise invalid(loc, f"{what} nests deeper than {MAX_JSON_DEPTH} levels")
    return value


async def raw_body(request: Request) -> bytes:
    """The whole body; its size is bounded by `pareta.local.bodies`."""
    # One growing buffer: the body is held once.
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
    return bytes(raw)


async def json_body(request: Request) -> dict[str, Any]:
    raw = await raw_body(request)
    body = parse_json(raw, ["body"], "request body") if raw else None
    if not isinstance(body, dict):
        raise invalid(["body"], "request body must be a JSON object", _shown(body))
    return body


def _shown(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | None) else type(value).__name__
