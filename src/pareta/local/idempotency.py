"""`Idempotency-Key` on POST: replay the first answer, never run (or bill) twice.

Keys are scoped per org (per API key). A key whose first request is still in
flight answers 409, which clients retry. Only a fully delivered 2xx answer is
remembered: an error, an injected fault or a dropped stream leaves the key
free, so a retry runs the request for real. Reusing a key for a different
request (method, path or body) answers 422.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import api_key_from_headers

MAX_REMEMBERED = 200_000


@dataclass(frozen=True)
class Recorded:
    fingerprint: str
    start: Message
    body: tuple[Message, ...]


class IdempotencyStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done: OrderedDict[tuple[str, str], Recorded] = OrderedDict()
        self._in_flight: set[tuple[str, str]] = set()

    def begin(self, key: tuple[str, str]) -> Recorded | bool | None:
        """The recorded answer, True when another request holds the key, else None (now ours)."""
        with self._lock:
            recorded = self._done.get(key)
            if recorded is not None:
                return recorded
            if key in self._in_flight:
                return True
            self._in_flight.add(key)
            return None

    def finish(self, key: tuple[str, str], recorded: Recorded | None) -> None:
        with self._lock:
            self._in_flight.discard(key)
            if recorded is not None:
                self._done[key] = recorded
                while len(self._done) > MAX_REMEMBERED:
                    self._done.popitem(last=False)


async def _json_error(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, store: IdempotencyStore) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(b"idempotency-key")
        api_key = api_key_from_headers(headers)
        if not raw_key or api_key is None:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        digest = hashlib.sha256(f"{scope['method']} {scope['path']}\n".encode())
        for message in messages:
            digest.update(message.get("body", b""))
        fingerprint = digest.hexdigest()
        key = (api_key, raw_key.decode("latin-1"))

        state = self.store.begin(key)
        if state is True:
            await _json_error(
                send, 409, "A request with this Idempotency-Key is already in progress; retry."
            )
            return
        if isinstance(state, Recorded):
            if state.fingerprint != fingerprint:
                await _json_error(
                    send, 422, "This Idempotency-Key was already used for a different request."
                )
                return
            await send(
                {
                    **state.start,
                    "headers": [*state.start["headers"], (b"idempotent-replayed", b"true")],
                }
            )
            for message in state.body:
                await send(message)
            return

        pending = list(messages)

        async def replay_receive() -> Message:
            return pending.pop(0) if pending else await receive()

        start: Message | None = None
        body: list[Message] = []
        delivered = False

        async def recording_send(message: Message) -> None:
            nonlocal start, delivered
            await send(message)
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                body.append(message)
                delivered = not message.get("more_body", False)

        recorded = None
        try:
            await self.app(scope, replay_receive, recording_send)
            if delivered and start is not None and 200 <= start["status"] < 300:
                recorded = Recorded(fingerprint, start, tuple(body))
        finally:
            self.store.finish(key, recorded)
