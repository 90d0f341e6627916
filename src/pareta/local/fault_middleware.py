"""The ASGI side of injected faults: delay, fail, cut or drop the requests a fault picks.

The faults themselves, their spec format and the injector that picks them are in
`pareta.local.faults`.
"""

from __future__ import annotations

import json

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .faults import Fault, FaultInjector, InjectedDrop
from .identity import identity_of


async def _read_body(receive: Receive) -> tuple[list[Message], bool]:
    messages: list[Message] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return messages, True
        messages.append(message)
        if not message.get("more_body", False):
            return messages, False


async def _delay_unless_client_leaves(
    seconds: float, receive: Receive
) -> tuple[list[Message], bool]:
    """Sleep, but give up as soon as the client disconnects, so it is never billed.

    After the body an ASGI server's next message is the disconnect, so waiting for it
    under a deadline is the sleep (one cancel scope per request, no watcher task)."""
    messages, gone = await _read_body(receive)
    if gone:
        return messages, True
    with anyio.move_on_after(seconds):
        while (await receive())["type"] != "http.disconnect":
            pass  # pragma: no cover - after the body an ASGI server sends only a disconnect
        return messages, True
    return messages, False


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


class FaultMiddleware:
    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = None
        if scope["type"] == "http" and not scope["path"].startswith("/admin"):
            org_id = identity_of(scope).org_id
            fault = self.injector.pick(scope["method"], scope["path"], org_id)
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.latency > 0:
            messages, left = await _delay_unless_client_leaves(fault.latency, receive)
            if left:
                return
            receive = _replay(messages, receive)
        if fault.status is not None:
            await _send_error(send, fault)
        elif fault.drop:
            await _send_truncated(send)
        elif fault.drop_after is not None:
            await self.app(scope, receive, _dropping_send(send, fault.drop_after))
        else:
            await self.app(scope, receive, send)


async def _send_error(send: Send, fault: Fault) -> None:
    assert fault.status is not None
    body = json.dumps({"detail": fault.detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if fault.retry_after is not None:
        value = fault.retry_after
        text = str(int(value)) if float(value).is_integer() else f"{value:g}"
        headers.append((b"retry-after", text.encode()))
    await send({"type": "http.response.start", "status": fault.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_truncated(send: Send) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"id": "', "more_body": True})
    raise InjectedDrop("connection dropped by an injected fault")


def _dropping_send(send: Send, events_allowed: int) -> Send:
    delivered = 0
    streaming = False

    async def dropping_send(message: Message) -> None:
        nonlocal delivered, streaming
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers", []))
            streaming = headers.get(b"content-type", b"").startswith(b"text/event-stream")
            await send(message)
            return
        body: bytes = message.get("body", b"")
        if not streaming:
            # A plain response has no events to count: cut it off mid-body.
            await send(
                {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            )
            raise InjectedDrop("connection dropped by an injected fault")
        events = body.count(b"\n\n")
        if events and delivered + events > events_allowed:
            raise InjectedDrop(f"connection dropped after {delivered} events by an injected fault")
        delivered += events
        await send(message)

    return dropping_send
