"""Opt-in request logging: ``PARETA_LOG=info`` or ``debug``; never a header, never a key."""

from __future__ import annotations

import logging
import os

import httpx

from ._exceptions import printable

logger = logging.getLogger("pareta")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_configured = False


def configure_from_env() -> None:
    """Attach a stderr handler once when ``PARETA_LOG`` asks for logs."""
    global _configured
    level = _LEVELS.get(os.environ.get("PARETA_LOG", "").strip().lower())
    if level is None or _configured:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    _configured = True


def log_response(response: httpx.Response, attempt: int, elapsed: float) -> None:
    if logger.isEnabledFor(logging.INFO):
        request = response.request
        logger.info(
            "%s %s -> %s request_id=%s attempt=%d elapsed=%.3fs",
            request.method,
            request.url.path,
            response.status_code,
            printable(response.headers.get("x-request-id"), 200),
            attempt + 1,
            elapsed,
        )


def log_retry(request: httpx.Request, reason: str, attempt: int, delay: float) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s %s failed (%s); retry %d in %.2fs",
            request.method,
            request.url.path,
            reason,
            attempt + 1,
            delay,
        )
