"""What makes two requests "the same" for an ``Idempotency-Key``: their content, not their framing.

A multipart body is fingerprinted by its fields (name, file name, content type)
and the SHA-256 of each part's bytes, so the same eval set sent again with
another boundary (httpx picks a random one) is the same request. A JSON body is
fingerprinted by its parsed value with keys sorted, so key order and
whitespace do not matter. Anything else, and a body that does not parse (the
route will refuse it), is fingerprinted by its bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header


def fingerprint(prefix: bytes, content_type: bytes, chunks: Iterable[bytes]) -> str:
    """The fingerprint of a body (`chunks`, read once) sent with `content_type`."""
    media, options = parse_options_header(content_type)
    chunks = iter(chunks)
    digest: str | None = None
    if media == b"multipart/form-data" and options.get(b"boundary"):
        digest = _multipart(options[b"boundary"], chunks)
    elif media == b"application/json" or media.endswith(b"+json"):
        digest = _json(b"".join(chunks))
    if digest is None:  # not parsed: the raw bytes (what was left unread is still hashed)
        raw = hashlib.sha256()
        for chunk in chunks:
            raw.update(chunk)
        digest = f"raw:{raw.hexdigest()}"
    return hashlib.sha256(prefix + digest.encode()).hexdigest()


def _json(raw: bytes) -> str | None:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"json:{hashlib.sha256(canonical.encode('utf-8', 'surrogatepass')).hexdigest()}"


class _Parts:
    """Collects (headers, digest) of each part as the parser calls back."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, str, str, str]] = []
        self._field = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}
        self._digest = hashlib.sha256()

    def on_part_begin(self) -> None:
        self._headers, self._digest = {}, hashlib.sha256()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._digest.update(data[start:end])

    def on_part_end(self) -> None:
        _, disposition = parse_options_header(self._headers.get(b"content-disposition"))
        name = disposition.get(b"name", b"").decode("latin-1")
        filename = disposition.get(b"filename", b"").decode("latin-1")
        media = self._headers.get(b"content-type", b"").decode("latin-1")
        self.parts.append((name, filename, media, self._digest.hexdigest()))


def _multipart(boundary: bytes, chunks: Iterable[bytes]) -> str | None:
    parts = _Parts()
    callbacks = {
        name: getattr(parts, name)
        for name in (
            "on_part_begin",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_part_data",
            "on_part_end",
        )
    }
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    try:
        for chunk in chunks:
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError:
        return None
    return "multipart:" + json.dumps(sorted(parts.parts), separators=(",", ":"))
