"""Request bodies: read as streams, each route with its own limit, never held twice.

`BodyLimitMiddleware` counts the bytes of every request body as they arrive and
answers 413 as soon as the count passes the route's limit, whatever the
transfer encoding (a declared ``Content-Length`` past it is refused before a
byte is read). The limits (`body_limit`):

- ``PUT /storage/...`` (signed uploads): ``max_upload_bytes`` (64 MiB), and the
  ``size`` the upload URL was issued for;
- ``POST /v1/eval-sets`` and ``.../attach-blob`` (multipart):
  ``max_upload_bytes`` plus 1 MiB for the multipart framing and form fields;
- ``POST /v1/chat/completions``: ``max_chat_bytes`` (16 MiB: documents travel
  inline as data URLs);
- every other route: ``max_json_bytes`` (1 MiB).

`Spool` holds a body that a middleware must see whole (the ``Idempotency-Key``
fingerprint, `pareta.local.fingerprints`) in memory up to 1 MiB and on disk
beyond, so the route that reads it next holds the only copy in memory.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Mapping
from typing import IO, Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .config import Config

MULTIPART_OVERHEAD = 1 << 20
SPOOL_IN_MEMORY = 1 << 20
REPLAY_CHUNK = 1 << 16
_WITH_BODY = {"POST", "PUT", "PATCH", "DELETE"}


def body_limit(config: Config, method: str, path: str) -> int:
    if method == "PUT" and path.startswith("/storage/"):
        return config.max_upload_bytes
    if method == "POST" and (path == "/v1/eval-sets" or path.endswith("/attach-blob")):
        return config.max_upload_bytes + MULTIPART_OVERHEAD
    if path == "/v1/chat/completions":
        return config.max_chat_bytes
    return config.max_json_bytes


class BodyTooLarge(HTTPException):
    """Raised from `receive`: routes answer it as any HTTPException, middlewares here."""

    def __init__(self, method: str, path: str, limit: int) -> None:
        super().__init__(
            413,
            f"Request body too large: {method} {path} accepts at most {limit} bytes. "
            "Send less (documents of eval sets go through upload URLs).",
        )


class TooManyValues(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"Request body holds more than {limit} JSON values (max_json_values, "
            "--max-json-values). Send fewer, or start the server with a higher limit.",
        )


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return b"json" in value.lower()
    return False


async def json_error(
    send: Send, status: int, detail: Any, extra: Mapping[str, str] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() else None
    return None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, config: Config) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        limit = body_limit(self.config, method, path)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await json_error(send, 413, BodyTooLarge(method, path, limit).detail)
            return
        received = 0
        values = 0
        started = False
        # A JSON body parsed on the event loop is bounded in values too: a 1 MiB body of
        # tiny objects costs the parser far more than 1 MiB of text. Chat bodies are
        # parsed by the workers past `inline_work_bytes`, so they are bounded in bytes only.
        count_values = path != "/v1/chat/completions" and _is_json(scope)
        max_values = self.config.max_json_values

        async def counted_receive() -> Message:
            nonlocal received, values
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                received += len(body)
                if received > limit:
                    raise BodyTooLarge(method, path, limit)
                if count_values:
                    # An upper bound (a comma in a string counts), found at C speed.
                    values += body.count(b",") + body.count(b"{") + body.count(b"[")
                    if values > max_values:
                        raise TooManyValues(max_values)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except (BodyTooLarge, TooManyValues) as exc:
            if started:  # pragma: no cover - every route reads its whole body before answering
                raise
            # The server discards the rest of the body; nothing past the limit is kept.
            await json_error(send, 413, exc.detail)


class Spool:
    """A request body read to its end: in memory up to 1 MiB, then on disk."""

    def __init__(self) -> None:
        self.disconnected = False
        self._chunks: list[bytes] = []
        self._size = 0
        self._file: IO[bytes] | None = None

    async def fill(self, receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] != "http.request":
                self.disconnected = True
                return
            self._write(message.get("body", b""))
            if not message.get("more_body", False):
                return

    def _write(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._file is None and self._size <= SPOOL_IN_MEMORY:
            self._chunks.append(chunk)
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close(), later
            self._file.writelines(self._chunks)
            self._chunks = []
        self._file.write(chunk)

    @property
    def size(self) -> int:
        return self._size

    def chunks(self) -> Iterator[bytes]:
        """The body again, chunk by chunk (before `replay`, which hands it over)."""
        if self._file is None:
            yield from self._chunks
            return
        self._file.seek(0)
        while chunk := self._file.read(REPLAY_CHUNK):
            yield chunk

    def replay(self, receive: Receive) -> Receive:
        """A `receive` that hands the body over again, then defers to the real one."""
        if self._file is not None:
            self._file.seek(0)
        done = False

        async def replay_receive() -> Message:
            nonlocal done
            if done:
                return await receive()
            if self._file is None:
                done = True
                body, self._chunks = b"".join(self._chunks), []
                return {"type": "http.request", "body": body, "more_body": False}
            chunk = self._file.read(REPLAY_CHUNK)
            done = len(chunk) < REPLAY_CHUNK
            return {"type": "http.request", "body": chunk, "more_body": not done}

        return replay_receive

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
