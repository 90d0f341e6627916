"""Client configuration: defaults, and how constructor arguments are normalised."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import httpx

from ._exceptions import ParetaError
from ._version import __version__

DEFAULT_BASE_URL = "https://api.pareta.ai"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
DEFAULT_MAX_RETRIES = 2
USER_AGENT = f"pareta-python/{__version__}"
API_KEY_ENV = "PARETA_API_KEY"
BASE_URL_ENV = "PARETA_BASE_URL"
MISSING_API_KEY = (
    "missing API key. Pass api_key=… or set PARETA_API_KEY "
    "(mint a pareta_sk_ key in the dashboard)."
)


# Limits on what a server's answer may cost the caller (README: "Limits and deadlines").
MiB = 1024 * 1024
DEFAULT_MAX_EVENT_BYTES = 16 * MiB
DEFAULT_MAX_JSON_BYTES = 64 * MiB
DEFAULT_MAX_DECODED_BYTES = 256 * MiB
DEFAULT_MAX_ERROR_BYTES = 64 * 1024
DEFAULT_CALL_TIMEOUT = 600.0
DEFAULT_STREAM_IDLE_TIMEOUT = 300.0


@dataclass(frozen=True)
class Bounds:
    """How much of an answer the client reads, and how long a call may last."""

    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    max_json_bytes: int = DEFAULT_MAX_JSON_BYTES
    max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES
    max_error_bytes: int = DEFAULT_MAX_ERROR_BYTES
    call_timeout: float | None = DEFAULT_CALL_TIMEOUT
    stream_idle_timeout: float | None = DEFAULT_STREAM_IDLE_TIMEOUT

    def __post_init__(self) -> None:
        for name in ("max_event_bytes", "max_json_bytes", "max_decoded_bytes", "max_error_bytes"):
            _check(name, getattr(self, name), (int,), "a positive int (bytes)")
        for name in ("call_timeout", "stream_idle_timeout"):
            value = getattr(self, name)
            if value is not None:
                _check(name, value, (int, float), "a positive number of seconds or None")

    def body_limit(self, compressed: bool) -> tuple[int, str]:
        """The most a 2xx JSON body may decode to, and the keyword that sets it."""
        if compressed and self.max_decoded_bytes < self.max_json_bytes:
            return self.max_decoded_bytes, "max_decoded_bytes"
        return self.max_json_bytes, "max_json_bytes"


def _check(name: str, value: object, types: tuple[type, ...], what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, types):
        raise TypeError(f"{name} must be {what}, not {type(value).__name__}")
    if value <= 0:  # type: ignore[operator]
        raise ValueError(f"{name} must be {what}, got {value!r}")


def require_api_key(api_key: object) -> str:
    """The explicit key, else ``PARETA_API_KEY``; an error saying how to get one if neither.

    Surrounding whitespace is dropped (a key read from a file ends in a newline); a key
    that still holds a character no HTTP header can carry is refused, and the message
    never shows the key, so it cannot reach a log or a terminal."""
    source = "api_key"
    if not api_key:
        api_key = os.environ.get(API_KEY_ENV)
        source = API_KEY_ENV
    if not api_key:
        raise ParetaError(MISSING_API_KEY)
    if not isinstance(api_key, str):
        raise TypeError(f"api_key must be a string, not {type(api_key).__name__}")
    key = api_key.strip()
    if not key:
        raise ParetaError(MISSING_API_KEY)
    bad = _KEY_MISFIT.search(key)
    if bad is not None:
        raise ParetaError(
            f"the API key from {source} has a character an HTTP header cannot carry (a "
            f"{_kind(bad.group())} at position {bad.start() + 1} of {len(key)}); the key is "
            "not shown. Copy it again from the dashboard: it is ASCII letters, digits and "
            "underscores."
        )
    return key


# A header value is visible ASCII; inside a key, a space is a copying accident too.
_KEY_MISFIT = re.compile(r"[^\x21-\x7e]")


def _kind(char: str) -> str:
    if char in " \t":
        return "space"
    if char.isascii() or not char.isprintable():
        return "control character"
    return "non-ASCII character"


def normalize_base_url(base_url: str | None) -> str:
    """The explicit URL, else ``PARETA_BASE_URL``, else production; trailing slashes
    stripped, and a trailing ``/v1`` too: the SDK adds the version to every path itself,
    and ``.../v1`` is the form OpenAI-style clients are given."""
    given = base_url or os.environ.get(BASE_URL_ENV) or None
    url = (given or DEFAULT_BASE_URL).rstrip("/")
    if url.endswith("/v1"):
        url = url[: -len("/v1")].rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ValueError(
            f"base_url must be an http(s) URL like {DEFAULT_BASE_URL!r}, got {given!r}"
        )
    return url


def to_timeout(timeout: httpx.Timeout | float | None) -> httpx.Timeout:
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(
            f"timeout must be an httpx.Timeout, a number of seconds or None, "
            f"not {type(timeout).__name__}"
        )
    return httpx.Timeout(float(timeout))


def clamp_retries(max_retries: int) -> int:
    if isinstance(max_retries, bool) or not isinstance(max_retries, int):
        raise TypeError(f"max_retries must be an int, not {type(max_retries).__name__}")
    return max(0, max_retries)
