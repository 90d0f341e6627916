"""Server text and header values on their way into messages: escaped, bounded, redacted.
Pure code, tested once."""

from __future__ import annotations

import httpx

from pareta._exceptions import printable, status_error
from pareta._responses import connection_error, redacted
from pareta._retry import parse_retry_after


def test_a_credential_quoted_by_an_http_library_is_redacted() -> None:
    text = "Illegal header value b'Bearer pareta_sk_live_5ecret\\n'"
    assert redacted(text) == "Illegal header value b'Bearer [redacted]"
    assert redacted("basic dXNlcjpwYXNz and more") == "basic [redacted] and more"
    request = httpx.Request("GET", "https://api.test/v1/models")
    error = connection_error(httpx.LocalProtocolError(text, request=request), "GET /v1/models")
    assert "5ecret" not in str(error)
    assert "Bearer [redacted]" in str(error)


def test_an_escape_is_never_split_by_the_cut() -> None:
    assert printable("ab\x1bcd", 4) == "ab… (3 more characters)"
    assert printable("ab\x1bcd", 6) == "ab\\x1b… (2 more characters)"
    assert printable("\u202e" * 3, 12) == "\\u202e\\u202e… (1 more characters)"
    assert printable("plain", 5) == "plain"


def test_a_retry_after_date_past_any_calendar_is_ignored() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 +9999999999") is None
    assert parse_retry_after("Wed, 21 Oct 99999 07:28:00 GMT") is None
    assert parse_retry_after("1e400") == 30.0


def test_a_charset_that_is_not_text_falls_back_to_utf8() -> None:
    request = httpx.Request("GET", "https://api.test/v1/models")
    for charset in ("rot13", "base64", "zlib", "idna", "utf-8\x00", "no-such-codec"):
        headers = {"content-type": f"text/plain; charset={charset}"}
        response = httpx.Response(500, content="café".encode(), headers=headers, request=request)
        error = status_error(response)
        assert error.detail == "café"
        assert str(error) == "café"
