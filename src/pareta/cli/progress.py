"""Progress of the long steps (a deploy, an eval run): a live bar on a terminal, and a
line per new stage anywhere else, so piped output and CI logs stay readable."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from .._exceptions import ParetaError
from .._objects.models import Endpoint
from .._objects.rankings import EvalRun
from .console import Output

FULL = 100.0


class Stages:
    """One long step reported as percent done plus the name of its current stage."""

    def __init__(self, out: Output, label: str) -> None:
        self.out = out
        self.label = label
        self._stage: str | None = None
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Stages:
        if self.out.interactive and not self.out.as_json:
            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                console=self.out.console,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=FULL)
        return self

    def update(self, pct: float | None, stage: str) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=pct, description=f"{self.label}: {stage}")
        elif stage != self._stage and not self.out.as_json:
            suffix = "" if pct is None else f" ({pct:.0f}%)"
            self.out.indented(f"{self.label}: {stage}{suffix}", indent=2)
        self._stage = stage

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def deploy_step(event: dict[str, Any]) -> tuple[float | None, str]:
    """Percent done and stage name of one deploy event (``{"stage": ..., "pct": 0-100}``)."""
    data = event.get("data")
    data = data if isinstance(data, dict) else {}
    if event.get("event") == "complete":
        return FULL, "live"
    stage = data.get("stage") or data.get("message") or data.get("status") or event.get("event")
    return _number(data.get("pct")), str(stage)


def follow_deploy(event: dict[str, Any], stages: Stages) -> Endpoint | None:
    """Report one deploy event; the endpoint once it is live, ``ParetaError`` on failure."""
    data = event.get("data")
    if event.get("event") == "error":
        message = data.get("message") if isinstance(data, dict) else data
        raise ParetaError(f"deploy failed: {message or data}")
    stages.update(*deploy_step(event))
    if event.get("event") == "complete" and isinstance(data, dict):
        endpoint = data.get("endpoint")
        if isinstance(endpoint, dict):
            return Endpoint(endpoint)
        raise ParetaError(f"deploy completed without an endpoint record: {data!r}")
    return None


# A run reports a status, not a count of scored items: place each status on the bar.
RUN_STATUS_PCT = {"queued": 5.0, "running": 30.0, "evaluating": 65.0}


def run_step(run: EvalRun) -> tuple[float | None, str]:
    """Percent done and status of a polled eval run."""
    status = run.status or "queued"
    if run.is_terminal:
        return FULL, status
    return RUN_STATUS_PCT.get(status), status
