"""Estimates of what a metered call will cost, made before it is sent.

The API prices a request by its tokens and reports a model's typical cost per request on
the task's leaderboard (``cost_per_request_micro_usd``, measured on the task's benchmark
rows). An estimate scales that figure by how much longer the caller's input is than the
task's example rows, and doubles it: it is meant to err high, since the cap refuses on it.
A model the leaderboard does not list (a frontier model other than the task's baseline)
is priced as the dearest entry on the board.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .spending import ceil_micro_usd

if TYPE_CHECKING:
    from .. import AsyncPareta, Leaderboard

# An estimate is this many times the typical cost of an input of its length.
SAFETY = 2
# Example rows read to learn a task's typical input length.
EXAMPLE_ROWS = 8


def text_size(value: Any) -> int:
    """Characters a request's input occupies: a string's length, else its JSON's."""
    if isinstance(value, str):
        return len(value)
    return len(json.dumps(value, ensure_ascii=False, default=str))


def messages_size(messages: Iterable[Any]) -> int:
    return sum(text_size(m.get("content") if isinstance(m, dict) else m) for m in messages)


def scaled(per_request: int, chars: float, typical_chars: float) -> int:
    """One request's estimate: the typical cost, times how much longer this input is, times
    the safety factor. A shorter input is not scaled down."""
    ratio = max(1.0, chars / typical_chars) if typical_chars > 0 else 1.0
    return ceil_micro_usd(per_request * ratio * SAFETY)


def board_prices(board: Leaderboard) -> tuple[dict[str, int], int]:
    """Each listed model's cost per request, and the dearest of them."""
    entries = list(board.models)
    if board.frontier is not None:
        entries.append(board.frontier)
    prices = {
        e.name: e.cost_per_request_micro_usd
        for e in entries
        if e.name and e.cost_per_request_micro_usd is not None
    }
    return prices, max(prices.values(), default=0)


class Pricing:
    """Leaderboards and typical input lengths, fetched once per task and kept."""

    def __init__(self) -> None:
        self._boards: dict[str, tuple[dict[str, int], int]] = {}
        self._typical: dict[str, float] = {}

    async def per_request(self, pa: AsyncPareta, task_id: str, model: str) -> int:
        if task_id not in self._boards:
            self._boards[task_id] = board_prices(await pa.tasks.leaderboard(task_id))
        prices, dearest = self._boards[task_id]
        return prices.get(model, dearest)

    async def typical_chars(self, pa: AsyncPareta, task_id: str) -> float:
        if task_id not in self._typical:
            task = await pa.tasks.retrieve(task_id, examples_n=EXAMPLE_ROWS)
            rows = task.get("examples") or []
            sizes = [text_size(r.get("input")) for r in rows if isinstance(r, dict)]
            self._typical[task_id] = sum(sizes) / len(sizes) if sizes else 0.0
        return self._typical[task_id]

    async def request(self, pa: AsyncPareta, task_id: str, model: str, chars: float) -> int:
        """One request to ``model`` on ``task_id`` with an input of ``chars`` characters."""
        per_request = await self.per_request(pa, task_id, model)
        return scaled(per_request, chars, await self.typical_chars(pa, task_id))

    async def eval_run(
        self, pa: AsyncPareta, task_id: str, models: Iterable[str], items: int, chars: float
    ) -> int:
        """Every model on every item; ``chars`` is the mean size of an item's input."""
        total = 0
        for model in models:
            total += await self.request(pa, task_id, model, chars)
        return total * items
