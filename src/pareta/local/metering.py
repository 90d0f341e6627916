"""Org balances in micro-USD, the ledger, and settlement of charges.

A handler never debits directly. It *reserves* a hold (which fails with 402
when the balance cannot cover it) and hands the hold to the request's
`Settlement`. `SettlementMiddleware` commits the holds only once the last byte
of the response has been handed to the server, and releases them if the
response dies first (an injected fault, a dropped client). That is what makes
"billed" and "answered" the same event.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .identity import identity_of
from .rolling import Rolling

SETTLEMENT_KEY = "pareta.settlement"


class LedgerEntry(NamedTuple):
    """One debit (kept in a `Rolling` log, out of the garbage collector's sight)."""

    id: str
    org_id: str
    kind: str
    amount_micro_usd: int
    balance_after_micro_usd: int
    request_id: str | None
    idempotency_key: str | None
    created: float
    # Flat (key, value, key, value...): a dict or a nested tuple would keep the entry tracked.
    detail: tuple[Any, ...]

    def to_json(self) -> dict[str, Any]:
        pairs = zip(self.detail[::2], self.detail[1::2], strict=True)
        detail = {k: list(v) if isinstance(v, tuple) else v for k, v in pairs}
        return {**self._asdict(), "detail": detail}


@dataclass
class Hold:
    org_id: str
    amount: int
    kind: str
    detail: dict[str, Any]
    settled: bool = False


def _flatten(detail: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(x for k, v in detail.items() for x in (k, tuple(v) if isinstance(v, list) else v))


class InsufficientCredits(Exception):
    def __init__(self, needed: int, available: int) -> None:
        super().__init__(
            f"Insufficient credits: this request costs {needed} micro-USD and the org has "
            f"{max(available, 0)} available. Top up the org balance in the dashboard."
        )


class AccountClosed(Exception):
    """The org was dropped (``max_orgs``): its account is gone and is never reopened."""

    def __init__(self, org_id: str) -> None:
        super().__init__(
            f"Org {org_id} was dropped (the server keeps at most max_orgs, --max-orgs); "
            "its key opens a fresh org on its next request."
        )


class Meter:
    """Balances and ledgers for every org; safe to call from any thread."""

    def __init__(self, starting_balance: int, ledger_kept: int) -> None:
        self.starting_balance = starting_balance
        self.ledger_kept = ledger_kept
        self._lock = threading.Lock()
        self._balances: dict[str, int] = {}
        self._held: dict[str, int] = {}
        self._ledgers: dict[str, Rolling[LedgerEntry]] = {}
        self._ids = itertools.count(1)
        self._delivering = 0
        self._delivered = threading.Condition(self._lock)

    def begin_delivery(self) -> None:
        with self._lock:
            self._delivering += 1

    def end_delivery(self) -> None:
        with self._lock:
            self._delivering -= 1
            if not self._delivering:
                self._delivered.notify_all()

    def quiesce(self, timeout: float = 5.0) -> None:
        """Wait until every response whose last byte is out has been settled.

        A client can read a response before the server thread commits its
        charge; readers on another thread call this first so that what they
        see includes every answer they have received. Never call it on the
        server's own event loop.
        """
        with self._lock:
            self._delivered.wait_for(lambda: self._delivering == 0, timeout)

    def open_account(self, org_id: str) -> None:
        with self._lock:
            self._open(org_id)

    def close_account(self, org_id: str) -> None:
        with self._lock:
            self._balances.pop(org_id, None)
            self._held.pop(org_id, None)
            self._ledgers.pop(org_id, None)

    def _open(self, org_id: str) -> None:
        if org_id not in self._balances:
            self._balances[org_id] = self.starting_balance
            self._held[org_id] = 0
            self._ledgers[org_id] = Rolling(LedgerEntry, self.ledger_kept)

    def _check_open(self, org_id: str) -> None:
        # Only `open_account` opens one: a charge landing after its org was dropped must
        # not bring the account back.
        if org_id not in self._balances:
            raise AccountClosed(org_id)

    def balance(self, org_id: str) -> int:
        with self._lock:
            self._check_open(org_id)
            return self._balances[org_id]

    def available(self, org_id: str) -> int:
        with self._lock:
            self._check_open(org_id)
            return self._balances[org_id] - self._held[org_id]

    def set_balance(self, org_id: str, amount: int) -> None:
        with self._lock:
            self._check_open(org_id)
            self._balances[org_id] = amount

    def ledger(self, org_id: str) -> list[LedgerEntry]:
        with self._lock:
            self._check_open(org_id)
            return list(self._ledgers[org_id])

    def require_credit(self, org_id: str) -> None:
        """402 before any work when the balance is already spent."""
        available = self.available(org_id)
        if available <= 0:
            raise InsufficientCredits(1, available)

    def reserve(self, org_id: str, amount: int, kind: str, **detail: Any) -> Hold:
        with self._lock:
            self._check_open(org_id)
            available = self._balances[org_id] - self._held[org_id]
            if available <= 0 or amount > available:
                raise InsufficientCredits(amount, available)
            self._held[org_id] += amount
        return Hold(org_id, amount, kind, detail)

    def commit(self, hold: Hold, request_id: str | None, idempotency_key: str | None) -> None:
        with self._lock:
            if hold.settled:  # pragma: no cover - settled once; this keeps a repeat harmless
                return
            hold.settled = True
            if hold.org_id not in self._balances:  # dropped meanwhile: nobody left to bill
                return
            self._held[hold.org_id] -= hold.amount
            if hold.amount == 0:
                return
            self._balances[hold.org_id] -= hold.amount
            entry = LedgerEntry(
                id=f"led_{next(self._ids):08d}",
                org_id=hold.org_id,
                kind=hold.kind,
                amount_micro_usd=hold.amount,
                balance_after_micro_usd=self._balances[hold.org_id],
                request_id=request_id,
                idempotency_key=idempotency_key,
                created=time.time(),
                detail=_flatten(hold.detail),
            )
            self._ledgers[hold.org_id].append(entry)

    def charge(
        self,
        org_id: str,
        amount: int,
        kind: str,
        billing: tuple[str | None, str | None],
        **detail: Any,
    ) -> None:
        """Debit at once (work that ends after its request was answered); 402 semantics."""
        self.commit(self.reserve(org_id, amount, kind, **detail), *billing)

    def resize(self, hold: Hold, amount: int) -> None:
        """Settle a hold at its real price once known (streams relayed from upstream)."""
        with self._lock:
            if not hold.settled and hold.org_id in self._held:
                self._held[hold.org_id] += amount - hold.amount
                hold.amount = amount

    def settle(
        self, hold: Hold, amount: int, request_id: str | None, idempotency_key: str | None
    ) -> None:
        """Charge `amount` against a reservation, releasing the rest of it.

        More than was reserved is charged only if the balance covers the difference
        (`InsufficientCredits` otherwise, the hold untouched); `AccountClosed` if the org
        was dropped.
        """
        with self._lock:
            self._check_open(hold.org_id)
            extra = amount - hold.amount
            available = self._balances[hold.org_id] - self._held[hold.org_id]
            if extra > 0 and extra > available:
                raise InsufficientCredits(amount, available + hold.amount)
        self.resize(hold, amount)
        self.commit(hold, request_id, idempotency_key)

    def release(self, hold: Hold) -> None:
        with self._lock:
            if not hold.settled:
                hold.settled = True
                if hold.org_id in self._held:
                    self._held[hold.org_id] -= hold.amount


@dataclass
class Settlement:
    """What one request owes, and what to do once it is (or is not) delivered."""

    meter: Meter
    request_id: str | None
    idempotency_key: str | None
    holds: list[Hold] = field(default_factory=list)
    on_commit: list[Callable[[], None]] = field(default_factory=list)
    on_abort: list[Callable[[], None]] = field(default_factory=list)

    def add(
        self,
        hold: Hold,
        on_commit: Callable[[], None] | None = None,
        on_abort: Callable[[], None] | None = None,
    ) -> None:
        self.holds.append(hold)
        if on_commit is not None:
            self.on_commit.append(on_commit)
        if on_abort is not None:
            self.on_abort.append(on_abort)

    def commit(self) -> None:
        for hold in self.holds:
            self.meter.commit(hold, self.request_id, self.idempotency_key)
        for callback in self.on_commit:
            callback()
        self._clear()

    def abort(self) -> None:
        for hold in self.holds:
            self.meter.release(hold)
        for callback in self.on_abort:
            callback()
        self._clear()

    def _clear(self) -> None:
        self.holds.clear()
        self.on_commit.clear()
        self.on_abort.clear()


class SettlementMiddleware:
    def __init__(self, app: ASGIApp, meter: Meter) -> None:
        self.app = app
        self.meter = meter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settlement = Settlement(
            self.meter, scope.get("pareta.request_id"), identity_of(scope).idempotency_key
        )
        scope[SETTLEMENT_KEY] = settlement
        delivered = False

        async def settle_on_last_byte(message: Message) -> None:
            nonlocal delivered
            last = message["type"] == "http.response.body" and not message.get("more_body", False)
            if not (last and settlement.holds):
                await send(message)
                delivered = delivered or last
                return
            self.meter.begin_delivery()
            try:
                await send(message)
                delivered = True
                settlement.commit()
            finally:
                self.meter.end_delivery()

        try:
            await self.app(scope, receive, settle_on_last_byte)
        finally:
            if not delivered:
                settlement.abort()
