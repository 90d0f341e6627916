"""`Idempotency-Key` on POST: replay the first answer, never run (or bill) twice.

Keys are scoped per org (per API key). A key whose first request is still in
flight answers 409, which clients retry. Only a fully delivered 2xx answer is
remembered: an error, a 429, an injected fault or a dropped stream leaves the
key free, so a retry runs the request for real. Reusing a key for a different
request (method, path or body content, see `pareta.local.fingerprints`)
answers 422.

Retention, so that a batch job can resume a day later: an answer is kept for
``idempotency_ttl`` (24 h) after it was delivered, and each org keeps at most
its ``idempotency_max_keys`` (1,000,000) most recent keys, the oldest evicted first.
A replay is byte-identical (status, headers and body; it adds
``idempotent-replayed: true``). Answers are stored as plain tuples of bytes,
which the garbage collector stops tracking, so a large store costs it nothing.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import org_id_for
from .bodies import Spool, json_error
from .fingerprints import fingerprint
from .identity import identity_of
from .work import Busy, WorkPool

# Bodies up to this size are fingerprinted on the event loop; larger ones off it.
INLINE_FINGERPRINT_BYTES = 64 * 1024


class Recorded(NamedTuple):
    fingerprint: str
    status: int
    headers: tuple[bytes, ...]  # name, value, name, value...: nested tuples stay tracked longer
    chunks: tuple[bytes, ...]
    at: float


class IdempotencyStore:
    """Delivered answers per org and key; safe to call from any thread."""

    def __init__(
        self,
        ttl: float,
        max_keys: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ttl = ttl
        self.max_keys = max_keys
        self.clock = clock
        self._lock = threading.Lock()
        # Plain tuples, which the garbage collector stops tracking (see `pareta.local.rolling`).
        self._done: dict[str, OrderedDict[str, tuple[Any, ...]]] = {}
        self._in_flight: set[tuple[str, str]] = set()

    def begin(self, key: tuple[str, str]) -> Recorded | bool | None:
        """The recorded answer, True when another request holds the key, else None (now ours)."""
        org, name = key
        with self._lock:
            done = self._done.get(org)
            if done is not None:
                self._expire(done)
                recorded = done.get(name)
                if recorded is not None:
                    return Recorded._make(recorded)
            if key in self._in_flight:
                return True
            self._in_flight.add(key)
            return None

    def finish(self, key: tuple[str, str], recorded: Recorded | None) -> None:
        org, name = key
        with self._lock:
            self._in_flight.discard(key)
            if recorded is None:
                return
            done = self._done.setdefault(org, OrderedDict())
            done[name] = tuple(recorded)
            while len(done) > self.max_keys:
                done.popitem(last=False)

    def forget(self, key: tuple[str, str]) -> None:
        org, name = key
        with self._lock:
            done = self._done.get(org)
            if done is not None:
                done.pop(name, None)

    def count(self, org: str) -> int:
        with self._lock:
            return len(self._done.get(org, ()))

    def forget_org(self, org: str) -> None:
        with self._lock:
            self._done.pop(org, None)

    def _expire(self, done: OrderedDict[str, tuple[Any, ...]]) -> None:
        # Oldest first, so this stops at the first answer still fresh: O(1) amortised.
        cutoff = self.clock() - self.ttl
        while done:
            name = next(iter(done))
            if Recorded._make(done[name]).at > cutoff:
                return
            del done[name]


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, store: IdempotencyStore, work: WorkPool) -> None:
        self.app = app
        self.store = store
        self.work = work

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        identity = identity_of(scope)
        raw_key, api_key = identity.idempotency_key, identity.api_key
        if not raw_key or api_key is None:
            await self.app(scope, receive, send)
            return
        spool = Spool()
        try:
            await spool.fill(receive)
            if not spool.disconnected:
                try:
                    content = await self._fingerprint(scope, spool, api_key)
                except Busy as busy:
                    await json_error(send, busy.status_code, busy.detail, busy.headers)
                    return
                await self._answer(scope, spool.replay(receive), content, (api_key, raw_key), send)
        finally:
            spool.close()

    async def _fingerprint(self, scope: Scope, spool: Spool, api_key: str) -> str:
        prefix = f"{scope['method']} {scope['path']}\n".encode()
        content_type = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
        if spool.size <= INLINE_FINGERPRINT_BYTES:
            return fingerprint(prefix, content_type, spool.chunks())
        if b"json" in content_type:
            # Parsing JSON holds the GIL for as long as it takes: a worker process does it.
            body = [b"".join(spool.chunks())]
            return await self.work.run(org_id_for(api_key), fingerprint, prefix, content_type, body)
        # Multipart and raw bodies are mostly hashed, which releases the GIL.
        digest = functools.partial(fingerprint, prefix, content_type, spool.chunks())
        return await anyio.to_thread.run_sync(digest)

    async def _answer(
        self, scope: Scope, receive: Receive, fingerprint: str, key: tuple[str, str], send: Send
    ) -> None:
        state = self.store.begin(key)
        if state is True:
            await json_error(
                send, 409, "A request with this Idempotency-Key is already in progress; retry."
            )
            return
        if isinstance(state, Recorded):
            if state.fingerprint != fingerprint:
                await json_error(
                    send, 422, "This Idempotency-Key was already used for a different request."
                )
                return
            await _replay(send, state)
            return

        start: Message | None = None
        chunks: list[bytes] = []
        recorded = False

        async def recording_send(message: Message) -> None:
            nonlocal start, recorded
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
                last = not message.get("more_body", False)
                if last and start is not None and 200 <= start["status"] < 300:
                    # Remembered before the last byte leaves: a client that retries the
                    # moment it has the answer is replayed, never told 409.
                    self.store.finish(key, _record(fingerprint, start, chunks, self.store.clock()))
                    recorded = True
            try:
                await send(message)
            except BaseException:
                if recorded:  # not delivered after all: the key is free again
                    self.store.forget(key)
                    recorded = False
                raise

        try:
            await self.app(scope, receive, recording_send)
        finally:
            if not recorded:
                self.store.finish(key, None)


def _record(fingerprint: str, start: Message, chunks: list[bytes], now: float) -> Recorded:
    headers = tuple(bytes(x) for header in start.get("headers", ()) for x in header)
    return Recorded(fingerprint, start["status"], headers, tuple(chunks), now)


async def _replay(send: Send, recorded: Recorded) -> None:
    flat = recorded.headers
    headers = [*zip(flat[::2], flat[1::2], strict=True), (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": recorded.status, "headers": headers})
    last = len(recorded.chunks) - 1
    for i, chunk in enumerate(recorded.chunks):
        await send({"type": "http.response.body", "body": chunk, "more_body": i < last})
