"""The ASGI application: routes plus the middleware stack that makes them faithful.

Outermost first: request ids on every response, injected faults,
`Idempotency-Key` replay, then settlement (bill only what was delivered).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from . import routes_admin, routes_catalog, routes_endpoints, routes_evals, routes_inference
from .deps import json_response
from .faults import FaultMiddleware
from .idempotency import IdempotencyMiddleware
from .metering import InsufficientCredits, SettlementMiddleware
from .middleware import RequestIdMiddleware
from .state import ServerState


async def _insufficient_credits(request: Request, exc: Exception) -> Response:
    return json_response({"detail": str(exc)}, 402)


def create_app(state: ServerState | None = None) -> FastAPI:
    """Build the local Pareta API over `state` (a fresh one by default)."""
    state = state or ServerState()
    app = FastAPI(title="Pareta (local)", docs_url="/docs", redoc_url=None)
    app.state.pareta = state
    for module in (routes_inference, routes_endpoints, routes_catalog, routes_evals, routes_admin):
        app.include_router(module.router)
    app.add_exception_handler(InsufficientCredits, _insufficient_credits)
    # add_middleware wraps, so the last one added runs first.
    app.add_middleware(SettlementMiddleware, meter=state.meter)
    app.add_middleware(IdempotencyMiddleware, store=state.idempotency)
    app.add_middleware(FaultMiddleware, injector=state.faults)
    app.add_middleware(RequestIdMiddleware)
    return app
