"""The ASGI application: routes plus the middleware stack that makes them faithful.

Outermost first: request ids on every response, the caller's identity read once
(`pareta.local.identity`), rate limiting (a refused request
costs nothing further down), body limits (413 past a route's limit, see
`pareta.local.bodies`), injected faults,
`Idempotency-Key` replay, then settlement (bill only what was delivered).
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from . import routes_admin, routes_catalog, routes_endpoints, routes_evals, routes_inference
from .bodies import BodyLimitMiddleware
from .deps import json_response
from .fault_middleware import FaultMiddleware
from .idempotency import IdempotencyMiddleware
from .identity import IdentityMiddleware
from .metering import AccountClosed, InsufficientCredits, SettlementMiddleware
from .middleware import RequestIdMiddleware
from .ratelimit import RateLimitMiddleware
from .state import ServerState


def _error(description: str) -> dict[str, Any]:
    detail = {"anyOf": [{"type": "string"}, {"type": "array"}, {"type": "object"}]}
    body = {"type": "object", "properties": {"detail": detail}, "required": ["detail"]}
    return {"description": description, "content": {"application/json": {"schema": body}}}


# The errors any route can answer, documented so that the schema tells the whole truth
# (the API fuzz checks every status against it).
ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("Bad request"),
    401: _error("Missing or invalid API key"),
    402: _error("The org balance cannot cover the call"),
    403: _error("Not allowed (a bad or expired upload token)"),
    404: _error("Unknown id, or another org's"),
    409: _error("A seed endpoint, or the same Idempotency-Key still in flight"),
    413: _error("Request body or upload past its route's limit"),
    422: _error("Invalid request"),
    429: _error("Rate limited (the org's rate limit, or an injected fault)"),
    500: _error("Internal error"),
    502: _error("The upstream model server failed"),
    503: _error("The endpoint is stopped or cold, or an injected fault"),
}


async def _insufficient_credits(request: Request, exc: Exception) -> Response:
    return json_response({"detail": str(exc)}, 402)


async def _account_closed(request: Request, exc: Exception) -> Response:
    # The org was dropped while this request ran: nothing was charged; a retry opens it anew.
    return json_response({"detail": str(exc)}, 409)


def _echoable(value: Any) -> Any:
    """The offending input, if it can be echoed as strict JSON; else a short description."""
    try:
        text = json.dumps(value, allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        return f"(a {type(value).__name__} that JSON cannot carry)"
    return value if len(text) <= 2000 else f"{text[:200]}..."


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {**error, "input": _echoable(error.get("input"))} if "input" in error else error
        for error in jsonable_encoder(exc.errors(), custom_encoder={float: _finite_or_text})
    ]
    return json_response({"detail": errors}, 422)


def _finite_or_text(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)


def create_app(state: ServerState | None = None) -> FastAPI:
    """Build the local Pareta API over `state` (a fresh one by default)."""
    state = state or ServerState()
    app = FastAPI(title="Pareta (local)", docs_url="/docs", redoc_url=None, responses=ERRORS)
    app.state.pareta = state
    for module in (routes_inference, routes_endpoints, routes_catalog, routes_evals, routes_admin):
        app.include_router(module.router)
    app.add_exception_handler(InsufficientCredits, _insufficient_credits)
    app.add_exception_handler(AccountClosed, _account_closed)
    # FastAPI's own handler echoes the input, which fails on NaN and floods on a big body.
    app.add_exception_handler(RequestValidationError, _invalid_request)
    # add_middleware wraps, so the last one added runs first.
    app.add_middleware(SettlementMiddleware, meter=state.meter)
    app.add_middleware(IdempotencyMiddleware, store=state.idempotency, work=state.work)
    app.add_middleware(FaultMiddleware, injector=state.faults)
    app.add_middleware(BodyLimitMiddleware, config=state.config)
    app.add_middleware(RateLimitMiddleware, limiter=state.rate_limiter)
    app.add_middleware(IdentityMiddleware, config=state.config)
    app.add_middleware(RequestIdMiddleware)
    return app
