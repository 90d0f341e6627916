"""What the tools return: typed records (the tool's output schema) that also say, in a
line or two, what a client that shows only text should show."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from .._objects.rankings import best_open
from .spending import usd

if TYPE_CHECKING:
    from .. import EvalRun, Leaderboard, LeaderboardEntry


class Output(BaseModel):
    def summary(self) -> str:
        raise NotImplementedError


def _money(micro_usd: int | None) -> str:
    return "unknown" if micro_usd is None else usd(micro_usd)


def _quality(value: float | None) -> str:
    return "?" if value is None else f"{value:.3f}"


# -- discovery -----------------------------------------------------------------------------


class Candidate(BaseModel):
    task_id: str
    score: float | None = None
    confidence: str | None = None


class TaskMatchOut(Output):
    query: str
    chosen: Candidate | None = Field(description="the task to use, or null when none is confident")
    candidates: list[Candidate]
    ambiguous: bool

    def summary(self) -> str:
        others = ", ".join(c.task_id for c in self.candidates if c != self.chosen)
        if self.chosen is None:
            return f"no task matched with confidence; candidates: {others or 'none'}"
        tail = f"; also: {others}" if others else ""
        return f"matched {self.chosen.task_id} ({self.chosen.confidence} confidence){tail}"


class TaskOut(Output):
    task_id: str
    title: str | None = None
    description: str | None = None
    input_schema: dict[str, Any] | None = None
    output_schema: dict[str, Any] | None = None
    has_blob_input: bool = False
    examples: list[dict[str, Any]] = Field(
        default_factory=list, description="sample rows: an input and the expected output"
    )
    task: dict[str, Any] = Field(description="the task as the API returned it")

    def summary(self) -> str:
        about = self.title or self.description or ""
        return f"{self.task_id}: {about} ({len(self.examples)} example rows)"


class TaskListOut(BaseModel):
    tasks: list[dict[str, Any]]


class Entry(BaseModel):
    name: str
    kind: str | None = None
    quality: float | None = None
    cost_per_request_micro_usd: int | None = None
    context_k: int | None = None
    run_mode: str | None = None
    on_front: bool = False


def _entry(entry: LeaderboardEntry, front: set[str]) -> Entry:
    return Entry(
        name=entry.name or "",
        kind=entry.kind,
        quality=entry.quality,
        cost_per_request_micro_usd=entry.cost_per_request_micro_usd,
        context_k=entry.context_k,
        run_mode=entry.run_mode,
        on_front=entry.name in front,
    )


def _point(entry: Entry) -> str:
    return f"quality {_quality(entry.quality)}, {_money(entry.cost_per_request_micro_usd)}/request"


class LeaderboardOut(Output):
    task_id: str
    metric: str | None = None
    recommended: str | None = Field(description="the open model to deploy for this task")
    models: list[Entry] = Field(description="open models, best first")
    frontier: Entry | None = Field(description="the frontier baseline the open models are held to")
    pareto_front: list[str] = Field(
        description="models no other beats on both quality and cost, cheapest first"
    )

    @classmethod
    def of(cls, board: Leaderboard) -> LeaderboardOut:
        front = [e.name or "" for e in board.pareto_front()]
        names = set(front)
        return cls(
            task_id=board.task_id or "",
            metric=board.metric,
            recommended=board.recommended,
            models=[_entry(e, names) for e in board.models],
            frontier=None if board.frontier is None else _entry(board.frontier, names),
            pareto_front=front,
        )

    def summary(self) -> str:
        lines = [f"{self.task_id}: recommended {self.recommended or 'none'}"]
        pick = next((m for m in self.models if m.name == self.recommended), None)
        if pick is not None:
            lines[0] += f" ({_point(pick)})"
        if self.frontier is not None:
            lines.append(f"frontier baseline {self.frontier.name}: {_point(self.frontier)}")
        lines.append("Pareto front (cheapest first): " + ", ".join(self.pareto_front))
        return "\n".join(lines)


class FrontierModelOut(BaseModel):
    id: str
    vendor: str | None = None
    vision: bool = False
    benchmarked: bool = False


class FrontierModelsOut(Output):
    task_id: str | None = None
    models: list[FrontierModelOut]

    def summary(self) -> str:
        marked = [f"{m.id}{' (benchmarked)' if m.benchmarked else ''}" for m in self.models]
        return f"{len(self.models)} frontier models: " + ", ".join(marked)


# -- evals ---------------------------------------------------------------------------------


class EvalSetOut(Output):
    id: str
    task_id: str | None = None
    name: str | None = None
    item_count: int | None = None

    def summary(self) -> str:
        return f"eval set {self.id}: {self.item_count} rows for {self.task_id}"


class ResultOut(BaseModel):
    model_id: str
    kind: str | None = None
    quality_mean: float | None = None
    quality_ci_low: float | None = None
    quality_ci_high: float | None = None
    mean_cost_micro_usd: int | None = None
    n_succeeded: int | None = None
    error_count: int | None = None
    on_front: bool = False


class EvalRunOut(Output):
    id: str
    status: str | None = None
    terminal: bool
    eval_set_id: str | None = None
    candidate_models: list[str] = Field(default_factory=list)
    cost_micro_usd: int | None = Field(description="what the run billed, once it is completed")
    results: list[ResultOut] = Field(default_factory=list)
    winner: str | None = Field(default=None, description="the best open model on these rows")
    pareto_front: list[str] = Field(default_factory=list)
    error_detail: str | None = None

    @classmethod
    def of(cls, run: EvalRun) -> EvalRunOut:
        front = {r.model_id for r in run.pareto_front()}
        best = best_open(run.results)
        return cls(
            id=run.id or "",  # an id the server left out reads None on the SDK's side
            status=run.status,
            terminal=run.is_terminal,
            eval_set_id=run.eval_set_id,
            candidate_models=run.candidate_models,
            cost_micro_usd=run.cost_micro_usd if run.is_terminal else None,
            results=[
                ResultOut(
                    model_id=r.model_id or "",
                    kind=r.kind,
                    quality_mean=r.quality_mean,
                    quality_ci_low=r.quality_ci_low,
                    quality_ci_high=r.quality_ci_high,
                    mean_cost_micro_usd=r.mean_cost_micro_usd,
                    n_succeeded=r.n_succeeded,
                    error_count=r.error_count,
                    on_front=r.model_id in front,
                )
                for r in run.results
            ],
            winner=None if best is None else best.model_id,
            pareto_front=[r.model_id or "" for r in run.pareto_front()],
            error_detail=run.error_detail,
        )

    def summary(self) -> str:
        if not self.terminal:
            return f"eval run {self.id} is {self.status}: wait for it with eval_run_wait"
        if self.status == "failed":
            return f"eval run {self.id} failed: {self.error_detail}"
        lines = [f"eval run {self.id} completed, billed {_money(self.cost_micro_usd)}"]
        for r in self.results:
            lines.append(
                f"  {r.model_id} ({r.kind}): quality {_quality(r.quality_mean)}, "
                f"{_money(r.mean_cost_micro_usd)}/item{' [front]' if r.on_front else ''}"
            )
        if self.winner:
            lines.append(f"best open model: {self.winner} (deploy it with endpoint_deploy)")
        return "\n".join(lines)


# -- endpoints -----------------------------------------------------------------------------


class EndpointOut(Output):
    id: str
    name: str | None = None
    task: str | None = None
    model: str | None = None
    status: str | None = None
    url: str | None = None

    def summary(self) -> str:
        return f"endpoint {self.id}: {self.model} for {self.task}, {self.status}"


class EndpointListOut(Output):
    endpoints: list[EndpointOut]

    def summary(self) -> str:
        if not self.endpoints:
            return "no endpoints"
        return "\n".join(e.summary() for e in self.endpoints)


class EndpointActionOut(Output):
    endpoint_id: str
    action: Literal["start", "stop", "delete"]
    response: dict[str, Any] = Field(default_factory=dict)

    def summary(self) -> str:
        status = self.response.get("status")
        done = {"start": "started", "stop": "stopped", "delete": "deleted"}[self.action]
        return f"endpoint {self.endpoint_id} {done}" + (f" (status {status})" if status else "")


class MetricsOut(Output):
    endpoint_id: str
    dimension: str
    report: dict[str, Any]

    def summary(self) -> str:
        scalars = {k: v for k, v in self.report.items() if isinstance(v, (int, float, str))}
        shown = ", ".join(f"{k}={v}" for k, v in list(scalars.items())[:8])
        return f"{self.dimension} of {self.endpoint_id}: {shown or 'see the structured result'}"


# -- inference and money -------------------------------------------------------------------


class ChatOut(Output):
    endpoint_id: str
    content: str | None
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    cost_micro_usd: int = Field(description="what this call counted against the spending cap")
    cost_reported: bool = Field(
        description="false when the API reported no cost: the estimate counted instead"
    )

    def summary(self) -> str:
        return self.content or f"(no content; finish reason {self.finish_reason})"


class HoldOut(BaseModel):
    what: str
    micro_usd: int


class SpendingOut(Output):
    cap_micro_usd: int
    spent_micro_usd: int
    held_micro_usd: int = Field(description="set aside for eval runs and batch jobs still running")
    remaining_micro_usd: int
    holds: list[HoldOut] = Field(default_factory=list)
    waiting_on_runs: list[str] = Field(
        default_factory=list, description="eval runs a tool call is waiting on right now"
    )

    def summary(self) -> str:
        return (
            f"spent {usd(self.spent_micro_usd)} of {usd(self.cap_micro_usd)}; "
            f"{usd(self.held_micro_usd)} held; {usd(self.remaining_micro_usd)} left"
        )


class BatchOut(Output):
    output_path: str
    job: str | None = None
    running: bool
    rows: int = 0
    answered: int = 0
    failed: int = 0
    errors: dict[str, int] = Field(default_factory=dict)
    stopped: dict[str, Any] | None = None
    billed_micro_usd: int | None = Field(
        default=None, description="what the rows cost, as the API reported"
    )
    error: str | None = None

    def summary(self) -> str:
        state = "running" if self.running else "not running"
        line = f"batch {self.output_path}: {state}, {self.answered} answered, {self.failed} failed"
        if self.stopped:
            line += f"; stopped: {self.stopped.get('reason')}"
        if self.error:
            line += f"; error: {self.error}"
        return line
