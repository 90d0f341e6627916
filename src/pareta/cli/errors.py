"""How a failed command reads on stderr: the error class, the detail, the request id,
and what to do next. Never a traceback."""

from __future__ import annotations

import json
import os

from .._exceptions import (
    APIConnectionError,
    APIStatusError,
    APIStreamError,
    AuthenticationError,
    InsufficientCreditsError,
    ParetaError,
    printable,
)
from .console import Output
from .rows import RowsError

EXIT_FAILURE = 1
EXIT_USAGE = 2
# An eval run the command followed or showed did not succeed: a script must not read on.
EXIT_RUN_FAILED = 3
EXIT_RUN_TIMEOUT = 4
EXIT_INTERRUPTED = 130

MISSING_KEY = """\
no API key: PARETA_API_KEY is not set.
  export PARETA_API_KEY=pareta_sk_...    (mint a key in the Pareta dashboard)
or run a local Pareta server and export the key it prints:
  pareta local serve"""


class UsageError(Exception):
    """The command line itself is wrong (exit status 2, like argparse's own errors)."""


class MissingKeyError(Exception):
    """No ``PARETA_API_KEY``: say where keys come from instead of failing on the first call."""


def _detail(exc: ParetaError) -> str:
    """The detail, as the server's text may reach a terminal: bounded, controls escaped."""
    detail = getattr(exc, "detail", None)
    if detail is None or detail == "":
        return printable(str(exc))
    text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False)
    return printable(text)


def _next_step(exc: ParetaError) -> str | None:
    if isinstance(exc, AuthenticationError):
        return "check PARETA_API_KEY (and PARETA_BASE_URL: a key works only on its own server)"
    if isinstance(exc, InsufficientCreditsError):
        return "the org balance is empty: top it up in the Pareta dashboard"
    if isinstance(exc, APIConnectionError):
        url = os.environ.get("PARETA_BASE_URL") or "https://api.pareta.ai"
        return f"is the server at {url} reachable? (PARETA_BASE_URL sets another one)"
    return None


def report(exc: BaseException, out: Output) -> int:
    """Print ``exc`` for a person (or, with ``--json``, as one JSON document on stderr)
    and return the exit status it deserves."""
    if out.as_json:
        return report_json(exc, out)
    if isinstance(exc, KeyboardInterrupt):
        out.error("interrupted")
        return EXIT_INTERRUPTED
    if isinstance(exc, (UsageError, ValueError)):
        out.error(f"error: {exc}")
        return EXIT_USAGE
    if isinstance(exc, MissingKeyError):
        out.error(MISSING_KEY)
        return EXIT_FAILURE
    if isinstance(exc, RowsError):
        out.error(f"error: {exc}")
        return EXIT_FAILURE
    assert isinstance(exc, ParetaError)
    out.error(f"{type(exc).__name__}: {_detail(exc)}")
    request_id = exc.request_id if isinstance(exc, (APIStatusError, APIStreamError)) else None
    request_id = None if request_id is None else printable(request_id, 200)
    if isinstance(exc, APIStatusError):
        if exc.hint:
            out.hint(exc.hint)
        out.hint(f"status {exc.status_code}, request id {request_id or 'not given'}")
    elif request_id:
        out.hint(f"request id {request_id}")
    step = _next_step(exc)
    if step:
        out.hint(step)
    return EXIT_FAILURE


def report_json(exc: BaseException, out: Output) -> int:
    """``{"error": ..., "detail": ..., ...}`` on stderr: a script reads errors as data too."""
    code = EXIT_FAILURE
    record: dict[str, object] = {"error": type(exc).__name__, "detail": str(exc)}
    if isinstance(exc, KeyboardInterrupt):
        code, record["detail"] = EXIT_INTERRUPTED, "interrupted"
    elif isinstance(exc, (UsageError, ValueError)):
        code = EXIT_USAGE
    elif isinstance(exc, MissingKeyError):
        record["detail"] = MISSING_KEY
    elif isinstance(exc, ParetaError):
        record["detail"] = _detail(exc)
        if isinstance(exc, APIStatusError):
            record.update(status=exc.status_code, request_id=exc.request_id)
        record["hint"] = _next_step(exc) or getattr(exc, "hint", None)
    out.errors.file.write(json.dumps(record, ensure_ascii=False) + "\n")
    return code
