"""Failures as tool errors: the class, the detail, the request id and what to do next,
with the API key scrubbed out. A tool call that fails never takes the server down."""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

from mcp.types import CallToolResult, TextContent

from .._exceptions import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    InsufficientCreditsError,
    NotFoundError,
    ParetaError,
    printable,
)
from .backend import MissingKeyError
from .spending import SpendingCapError

logger = logging.getLogger("pareta.mcp")

REDACTED = "[redacted]"


def scrub(text: str, key: str | None) -> str:
    """``text`` with the API key (if any) cut out of it."""
    return text.replace(key, REDACTED) if key else text


def _detail(exc: BaseException) -> Any:
    detail = getattr(exc, "detail", None)
    if detail is None or detail == "":
        return printable(str(exc))
    return detail if isinstance(detail, (str, dict, list)) else printable(str(detail))


def _hint(exc: BaseException) -> str | None:
    if isinstance(exc, AuthenticationError):
        return (
            "the API key was refused: check PARETA_API_KEY (and PARETA_BASE_URL) in the "
            "server's env"
        )
    if isinstance(exc, InsufficientCreditsError):
        return "the org balance is empty: the user tops it up in the Pareta dashboard"
    if isinstance(exc, NotFoundError):
        return "check the id: list what exists with the matching list tool"
    if isinstance(exc, APIConnectionError):
        return "the Pareta API did not answer: check PARETA_BASE_URL and the network"
    if isinstance(exc, (ValueError, TypeError)):
        return "fix the arguments and call the tool again"
    return None


def describe(exc: BaseException) -> dict[str, Any]:
    """What the caller needs to know about a failure, as data."""
    record: dict[str, Any] = {"type": type(exc).__name__, "detail": _detail(exc)}
    if isinstance(exc, APIStatusError):
        record["status"] = exc.status_code
    request_id = getattr(exc, "request_id", None)
    if isinstance(exc, ParetaError) and request_id:
        record["request_id"] = printable(request_id, 200)
    if isinstance(exc, SpendingCapError):
        record["estimate_micro_usd"] = exc.estimate_micro_usd
        record["left_micro_usd"] = exc.left_micro_usd
    hint = _hint(exc)
    if hint:
        record["hint"] = hint
    return record


def message(record: dict[str, Any]) -> str:
    detail = record["detail"]
    text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False)
    line = f"{record['type']}: {text}"
    extras = []
    if "status" in record:
        extras.append(f"status {record['status']}")
    if "request_id" in record:
        extras.append(f"request id {record['request_id']}")
    if extras:
        line += f" ({', '.join(extras)})"
    if "hint" in record:
        line += f". Next: {record['hint']}"
    return line


EXPECTED = (
    ParetaError,
    MissingKeyError,
    SpendingCapError,
    ValueError,
    TypeError,
    OSError,
)


def failure(exc: Exception, tool: str, key: str | None) -> CallToolResult:
    """The tool error for ``exc``: text for the model, ``{"error": ...}`` as data."""
    if isinstance(exc, EXPECTED):
        record = describe(exc)
        logger.info("tool %s failed: %s", tool, scrub(message(record), key))
    else:
        # A bug of ours: the caller learns its class, the log keeps the traceback.
        record = {"type": type(exc).__name__, "detail": f"internal error in {tool}"}
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        logger.error("tool %s raised %s", tool, scrub(trace, key))
    text = scrub(message(record), key)
    data = json.loads(scrub(json.dumps(record, ensure_ascii=False), key))
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content={"error": data},
        is_error=True,
    )
