"""What the demo shows at each step of the funnel, shared by its sync and async walks.

The walks only make the calls; every line the user reads, and every choice the demo
makes from an answer (the task, the shortlist, the winner), is decided here once.
"""

from __future__ import annotations

import json
import time
from typing import Any

from rich.text import Text

from ..._exceptions import ParetaError
from ..._extras import MissingDependencyError
from ..._objects.models import ChatCompletionChunk, Endpoint, Task, TaskMatch
from ..._objects.pareto import savings
from ..._objects.rankings import EvalRun, Leaderboard, best_open, frontier_baseline
from ..chart import run_chart
from ..console import Output
from ..plot import show_chart, why_not_drawn
from ..progress import Stages, run_step
from ..render import (
    dollars,
    leaderboard_table,
    match_table,
    percent,
    results_table,
    score,
)
from ..rows import plural

INTENT = "extract the key fields from a contract"
NAME = "pareta-demo"
SHORTLIST = 3
LEADERBOARD_ROWS = 5
POLL_INTERVAL = 0.05
EVAL_DEADLINE = 30.0


class Story:
    """The demo's narration, one method per beat of the funnel."""

    def __init__(self, out: Output, *, intent: str = INTENT, rows: int = 8) -> None:
        self.out = out
        self.intent = intent
        self.rows = rows
        self._step = 0
        self._started = time.monotonic()
        self._eval_deadline = 0.0

    # -- narration helpers ------------------------------------------------------------

    def _title(self, text: str, call: str) -> None:
        self._step += 1
        self.out.line()
        self.out.show(Text(f"{self._step}. {text}", style="bold cyan"))
        self.out.indented(Text(call, style="dim"))

    def _say(self, *parts: str | tuple[str, str]) -> None:
        self.out.indented(Text.assemble(*parts))

    # -- the beats ----------------------------------------------------------------------

    def intro(self, base_url: str, flavour: str) -> None:
        self.out.show(Text("Pareta demo: from a sentence to a deployed model", style="bold"))
        self._say(f"a local Pareta server is running at {base_url}")
        self._say(f"the funnel runs through {flavour}")

    def matching(self) -> None:
        self._title("Match your intent to a task", f"pa.tasks.match({self.intent!r})")

    def matched(self, match: TaskMatch) -> str:
        self.out.show(match_table(match))
        chosen = match.chosen if match.matched else None
        if chosen is None or not chosen.task_id:
            closest = ", ".join(str(c.task_id) for c in match.candidates) or "none"
            raise ParetaError(f"no task matched {self.intent!r} (closest: {closest})")
        self._say(
            "matched ", (chosen.task_id, "bold green"), f" with {chosen.confidence} confidence"
        )
        return chosen.task_id

    def ranking(self, task_id: str) -> None:
        self._title("Read the leaderboard", f"pa.tasks.leaderboard({task_id!r})")

    def ranked(self, board: Leaderboard) -> list[str]:
        self.out.show(leaderboard_table(board, limit=LEADERBOARD_ROWS))
        hidden = len(board.models) - LEADERBOARD_ROWS
        if hidden > 0:
            self._say(f"(and {hidden} more open models: pareta tasks leaderboard {board.task_id})")
        shortlist = [e.name for e in board.models if e.kind == "open" and e.name][:SHORTLIST]
        if not shortlist:
            raise ParetaError(f"the leaderboard of {board.task_id} has no open models")
        baseline = board.frontier
        self._say(f"shortlist: the top {len(shortlist)} open models, {', '.join(shortlist)}")
        if baseline is not None:
            self._say(
                f"frontier baseline: {baseline.name} at quality {score(baseline.quality)}, "
                f"{dollars(baseline.cost_per_request_micro_usd)} per request"
            )
        return shortlist

    def sample_rows(self, task: Task) -> list[dict[str, Any]]:
        examples = task.get("examples")
        rows = [
            {"input": row["input"], "expected": row["expected"]}
            for row in (examples if isinstance(examples, list) else [])
            if isinstance(row, dict) and isinstance(row.get("input"), str) and "expected" in row
        ]
        if not rows:
            raise ParetaError(f"task {task.id} offered no text example rows to evaluate on")
        return rows

    def evaluating(self, task_id: str, items: list[dict[str, Any]], models: list[str]) -> None:
        self._title(
            "Evaluate on your own rows",
            f"pa.evals.runs.create(task={task_id!r}, items=<{plural(len(items), 'row')}>, "
            f"models={models!r}, frontier='benchmarked')",
        )
        first = items[0]
        self._say(
            f"{plural(len(items), 'sample row')} stand{'s' if len(items) == 1 else ''} in for "
            "your data, like: ",
            (_clip(first["input"], 70), "italic"),
        )
        self._say("expected: ", (_clip(json.dumps(first["expected"]), 70), "italic"))

    def eval_progress(self, run: EvalRun) -> Stages:
        self._eval_deadline = time.monotonic() + EVAL_DEADLINE
        return Stages(self.out, f"eval run {run.id}")

    def pending(self, run: EvalRun, stages: Stages) -> bool:
        """Report a polled run; ``True`` while it is still going."""
        stages.update(*run_step(run))
        if run.is_terminal:
            return False
        if time.monotonic() > self._eval_deadline:
            raise ParetaError(f"eval run {run.id} did not finish within {EVAL_DEADLINE:g}s")
        return True

    def scored(self, run: EvalRun) -> str:
        if run.status != "completed":
            raise ParetaError(f"eval run {run.id} {run.status}: {run.error_detail}")
        self.out.show(results_table(run))
        self._chart(run)
        winner = best_open(run.results)
        if winner is None or not winner.model_id:
            raise ParetaError(f"no open model succeeded in eval run {run.id}")
        baseline = frontier_baseline(run.results)
        self._say(
            "winner: ", (winner.model_id, "bold green"), f" at quality {score(winner.quality_mean)}"
        )
        if baseline is not None:
            saved = savings(winner.mean_cost_micro_usd, baseline.mean_cost_micro_usd)
            self._say(
                f"vs {baseline.model_id} at {score(baseline.quality_mean)}: "
                f"{percent(saved)} cheaper per item"
            )
        self._say(f"the run billed ${run.cost} ({run.cost_micro_usd} micro-USD)")
        return winner.model_id

    def _chart(self, run: EvalRun) -> None:
        """On a terminal, the same results as quality against cost."""
        chart = run_chart(run)
        if why_not_drawn(self.out, chart) is None:
            try:
                show_chart(self.out, chart, key=False)
            except MissingDependencyError as exc:
                self._say(f"(no chart: {exc})")

    def deploying(self, task_id: str, model: str) -> Stages:
        self._title("Deploy the winner", f"pa.endpoints.deploy(task={task_id!r}, model={model!r})")
        return Stages(self.out, f"deploying {model}")

    def deployed(self, endpoint: Endpoint | None) -> str:
        if endpoint is None or not endpoint.id:
            raise ParetaError("the deploy stream ended without a live endpoint")
        self._say("endpoint ", (endpoint.id, "bold green"), f" is {endpoint.status}, no GPU chosen")
        return endpoint.id

    def prompt(self, endpoint_id: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self._title(
            "Stream an answer",
            f"pa.chat.completions.create(model={endpoint_id!r}, messages=..., stream=True)",
        )
        text = str(items[-1]["input"])
        self._say("> ", (_clip(text, 200), "italic"))
        self.out.write("   ")
        return [{"role": "user", "content": text}]

    def token(self, chunk: ChatCompletionChunk) -> None:
        if chunk.choices:
            self.out.write(chunk.choices[0].delta.content or "")

    def answered(self) -> None:
        self.out.write("\n")

    def measuring(self, endpoint_id: str) -> None:
        self._title(
            "Read its metrics",
            f"pa.endpoints.metrics({endpoint_id!r}).performance() / .cost()",
        )

    def measured(self, performance: dict[str, Any], cost: dict[str, Any]) -> None:
        latency = ", ".join(f"{q} {_ms(performance.get(f'{q}_ms'))}" for q in ("p50", "p95", "p99"))
        requests = performance.get("request_count", 0)
        self._say(f"latency over {requests} request{'' if requests == 1 else 's'}: {latency}")
        spent = cost.get("total_micro_usd")
        baseline = cost.get("frontier_baseline_micro_usd")
        self._say(
            f"spent {dollars(spent)}; {cost.get('frontier_model') or 'the frontier'} would have "
            f"cost {dollars(baseline)} ({percent(savings(spent, baseline))} saved)"
        )

    def cleaning_up(self) -> None:
        self._title(
            "Clean up",
            "pa.endpoints.stop(...); pa.endpoints.delete(...); pa.evals.sets.delete(...)",
        )

    def removed(self, kind: str, object_id: str) -> None:
        self._say(f"deleted {kind} {object_id}")

    def outro(self) -> None:
        elapsed = time.monotonic() - self._started
        self.out.line()
        self.out.show(Text(f"Done in {elapsed:.1f}s.", style="bold"))
        self.out.line(
            "Next: `pareta local serve` runs this server for your own code; "
            "`pareta --help` lists the commands."
        )


def _clip(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def _ms(value: Any) -> str:
    return "-" if not isinstance(value, (int, float)) else f"{value:.1f} ms"
