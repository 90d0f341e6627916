"""What every route needs: the state, the caller's org, and response helpers."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request
from fastapi.responses import Response

from .auth import require_api_key
from .metering import SETTLEMENT_KEY, Settlement
from .state import Org, ServerState


def state_of(request: Request) -> ServerState:
    state: ServerState = request.app.state.pareta
    return state


def org_of(request: Request, authorization: Annotated[str | None, Header()] = None) -> Org:
    return state_of(request).org(require_api_key(authorization))


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


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        raise invalid(["body"], "request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise invalid(["body"], "request body must be a JSON object", body)
    return body
