"""Per-request options: the keywords every method takes besides its own arguments.

``extra_headers``, ``extra_query``, ``extra_body`` and ``timeout`` are named as in
openai-python; they are the SDK's own keywords, never sent as body fields (every other
unknown keyword of ``chat.completions.create`` still goes into the body as-is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpx

Headers = Mapping[str, str]
Query = Mapping[str, Any]
Body = Mapping[str, Any]


class NotGiven:
    """The default of ``with_options`` keywords: keep the client's value (``None`` may mean
    "no limit", so it cannot stand for "not given")."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


@dataclass(frozen=True)
class RequestOptions:
    """What one call adds to the requests it sends."""

    extra_headers: Headers | None = None
    extra_query: Query | None = None
    extra_body: Body | None = None
    timeout: httpx.Timeout | None = None

    def without_body(self) -> RequestOptions:
        """The same options for a call's secondary requests: ``extra_body`` belongs to the
        request the method is named for, not to the set or the polls it makes on the way."""
        return RequestOptions(self.extra_headers, self.extra_query, None, self.timeout)

    def merge_json(self, json: dict[str, Any] | None) -> dict[str, Any] | None:
        """The JSON body with ``extra_body`` merged in (every SDK body is an object)."""
        if not self.extra_body:
            return json
        return {**(json or {}), **self.extra_body}


def request_options(
    extra_headers: Headers | None,
    extra_query: Query | None,
    extra_body: Body | None,
    timeout: httpx.Timeout | float | None,
) -> RequestOptions | None:
    """The options of one call, checked before any request; ``None`` when there are none."""
    if extra_headers is None and extra_query is None and extra_body is None and timeout is None:
        return None
    for name, value in (
        ("extra_headers", extra_headers),
        ("extra_query", extra_query),
        ("extra_body", extra_body),
    ):
        if value is not None and not isinstance(value, Mapping):
            raise TypeError(f"{name} must be a dict, not {type(value).__name__}")
    return RequestOptions(extra_headers, extra_query, extra_body, per_request_timeout(timeout))


def per_request_timeout(timeout: httpx.Timeout | float | None) -> httpx.Timeout | None:
    """A call's own timeout (``None``: the client's); a number bounds connect, read and write."""
    if timeout is None or isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(
            f"timeout must be an httpx.Timeout, a number of seconds or None, "
            f"not {type(timeout).__name__}"
        )
    return httpx.Timeout(float(timeout))
