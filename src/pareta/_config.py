"""Client configuration: defaults, and how constructor arguments are normalised."""

from __future__ import annotations

import os
from typing import Any

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


def require_api_key(api_key: object) -> str:
    if not api_key:
        raise ParetaError(MISSING_API_KEY)
    if not isinstance(api_key, str):
        raise TypeError(f"api_key must be a string, not {type(api_key).__name__}")
    return api_key


def normalize_base_url(base_url: str | None) -> str:
    url = (base_url or DEFAULT_BASE_URL).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ValueError(
            f"base_url must be an http(s) URL like {DEFAULT_BASE_URL!r}, got {base_url!r}"
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


def env_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    """``from_env`` arguments: explicit ``api_key``/``base_url`` win over the environment."""
    kwargs = dict(overrides)
    if not kwargs.get("api_key"):
        kwargs["api_key"] = os.environ.get(API_KEY_ENV)
    if not kwargs.get("base_url"):
        kwargs["base_url"] = os.environ.get(BASE_URL_ENV) or None
    return kwargs
