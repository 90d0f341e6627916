"""Eval runs scored in worker threads, off the event loop.

Scoring is CPU-bound: a run of 100,000 rows and three models scored inside
its request held every other org's requests for most of a minute. A run is
scored on `ScoringPool`'s threads once its creation has been delivered; its
status moves from ``running`` to ``evaluating`` as the first rows are scored
and to ``completed`` when the last one is (and its simulated duration is
over). The charge is taken when scoring ends: a balance that cannot cover it
then fails the run, unbilled.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from .catalog import ModelRef
from .evals import evaluate
from .metering import InsufficientCredits, Meter
from .records import EvalRun, EvalSet, Org

logger = logging.getLogger("pareta.local")
WORKERS = 2


class ScoringPool:
    """The worker threads; `close()` stops runs in progress at their next batch of rows."""

    def __init__(self, workers: int = WORKERS) -> None:
        self.closing = threading.Event()
        self._workers = workers
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, job: Callable[[threading.Event], None]) -> None:
        """Run `job(closing)` on a worker thread; closing is set when the server stops."""
        with self._lock:
            if self._executor is None:  # first use, or a server started again after stop()
                self.closing = threading.Event()
                self._executor = ThreadPoolExecutor(self._workers, "pareta-scoring")
            self._executor.submit(job, self.closing)

    def close(self) -> None:
        self.closing.set()
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None


def score_run(
    run: EvalRun,
    org: Org,
    eval_set: EvalSet,
    models: list[ModelRef],
    meter: Meter,
    billing: tuple[str | None, str | None],
    closing: threading.Event,
) -> None:
    """Score `run` and charge its cost (the POST's request id and Idempotency-Key)."""

    def progress(items: int) -> bool:
        run.items_scored = items
        return not closing.is_set()

    try:
        outcomes = evaluate(eval_set.task, eval_set.rows, eval_set.blobs, models, progress)
        if outcomes is None:  # the server is shutting down
            return
        cost = sum(o.cost_micro_usd for o in outcomes)
        meter.charge(
            org.id,
            cost,
            "eval.run",
            billing,
            run_id=run.id,
            eval_set_id=eval_set.id,
            items=len(eval_set.rows),
            models=list(run.candidates),
        )
        run.results = [o.to_json() for o in outcomes]
        run.cost_micro_usd = cost
    except InsufficientCredits as exc:
        run.error_detail = f"{exc} The run was not billed."
    except Exception:  # pragma: no cover - a bug in a scorer must fail the run, not hang it
        logger.exception("scoring eval run %s failed", run.id)
        run.error_detail = "Internal error while scoring; the run was not billed."
    finally:
        run.scored = True
