"""The cookie jar of an SDK-owned HTTP client: one that keeps nothing.

The API authenticates every request by its key; a cookie a server sets is never needed,
and a server (or a proxy) that sets thousands would otherwise grow a ``Cookie`` header
sent with every later request.
"""

from __future__ import annotations

from http.cookiejar import CookieJar
from typing import Any


class NoCookies(CookieJar):
    """A jar that keeps no cookie a server sets (one set by hand is kept)."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None
