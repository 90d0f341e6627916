"""Eval runs scored on the worker processes, a chunk of rows at a time, in their org's turn.

Scoring is CPU-bound: a run of 100,000 rows and three models scored inside its
request held every other org's requests for most of a minute, and on worker
threads it still held the GIL. A run is scored once its creation has been
delivered, by `RunScoring`: each chunk of `CHUNK_ROWS` rows is a job of
`pareta.local.work`, queued behind the org's other jobs only, so another org's
small run waits for a chunk, not for a run. Its status moves from ``running``
to ``evaluating`` as chunks are scored and to ``completed`` when the last one
is (and its simulated duration is over).

Money: the run reserved its estimated cost when it was created (402 when the
balance could not cover it). Once scored it is charged what it actually cost
and the rest of the reservation is released; if the actual cost passes the
estimate and the balance cannot cover the difference, the run fails, unbilled.
A run of an org that was dropped, or of a server that stopped, is cancelled
with its reservation: nothing is charged to a closed account.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import dataclass, field

from .catalog import ModelRef
from .evals import CHUNK_ROWS, ModelOutcome, Scored, chunk_blobs, merge, score_rows
from .metering import AccountClosed, Hold, InsufficientCredits, Meter
from .records import EvalRun, EvalSet, Org
from .work import WorkPool

logger = logging.getLogger("pareta.local")


@dataclass
class RunScoring:
    """Drives one run's chunks through the work pool, then settles its reservation."""

    run: EvalRun
    org: Org
    eval_set: EvalSet
    models: list[ModelRef]
    meter: Meter
    work: WorkPool
    hold: Hold
    billing: tuple[str | None, str | None]  # the creating POST's request id and Idempotency-Key
    outcomes: list[ModelOutcome] = field(default_factory=list)

    def start(self) -> None:
        self.outcomes = [ModelOutcome(model, [], [], 0) for model in self.models]
        self._next(0)

    def _next(self, start: int) -> None:
        if self.run.cancelled or self.work.closed:
            self._stop("The run was cancelled (its org was dropped or the server stopped).")
            return
        rows = self.eval_set.rows
        if start >= len(rows):
            self._settle()
            return
        end = min(start + CHUNK_ROWS, len(rows))
        blobs = chunk_blobs(self.eval_set.task, start, end, self.eval_set.blobs)
        args = (self.eval_set.task.id, start, rows[start:end], blobs, self.models)
        # A run's later chunks are never refused: the run was admitted when it was created.
        future = self.work.submit(self.org.id, score_rows, *args, bounded=False)
        future.add_done_callback(lambda done: self._scored(end, done))

    def _scored(self, end: int, done: Future[list[Scored]]) -> None:
        if done.cancelled():
            self._stop("The run was cancelled (its org was dropped or the server stopped).")
            return
        error = done.exception()
        if error is not None:
            logger.error("scoring eval run %s failed", self.run.id, exc_info=error)
            self._stop("Internal error while scoring; the run was not billed.")
            return
        merge(self.outcomes, done.result())
        self.run.items_scored = end * len(self.models)
        self._next(end)

    def _settle(self) -> None:
        outcomes = self.outcomes
        cost = sum(o.cost_micro_usd for o in outcomes)
        try:
            self.meter.settle(self.hold, cost, *self.billing)
        except InsufficientCredits as exc:
            self._stop(f"{exc} The run was not billed.")
            return
        except AccountClosed:
            self._stop("The run was cancelled: its org was dropped.")
            return
        self.run.results = [o.to_json() for o in outcomes]
        self.run.cost_micro_usd = cost
        self.run.scored = True

    def _stop(self, detail: str) -> None:
        self.meter.release(self.hold)
        self.run.error_detail = detail
        self.run.scored = True
