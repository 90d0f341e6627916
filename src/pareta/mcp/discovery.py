"""Tools for the first steps of the funnel: which task is this job, how do models rank on
it, and which frontier models are the baselines."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from .._objects.models import TaskMatchCandidate
from .backend import Backend
from .schemas import (
    Candidate,
    FrontierModelOut,
    FrontierModelsOut,
    LeaderboardOut,
    TaskMatchOut,
    TaskOut,
)
from .tooling import READ, tool


def candidate(found: TaskMatchCandidate) -> Candidate:
    return Candidate(task_id=found.task_id or "", score=found.score, confidence=found.confidence)


TaskId = Annotated[str, Field(min_length=1, description="a task id, e.g. contract-key-fields")]


def register(app: MCPServer, backend: Backend) -> None:
    @tool(app, backend, title="Match a job to a task", annotations=READ)
    async def match_task(
        query: Annotated[str, Field(min_length=1, description="the job, in plain English")],
        top_k: Annotated[int, Field(ge=1, le=20)] = 5,
    ) -> TaskMatchOut:
        """Find the benchmark task that fits a job described in plain English (e.g. "extract
        key fields from contracts"). Start here: every later step takes the task id."""
        match = await backend.client().tasks.match(query, top_k=top_k)
        return TaskMatchOut(
            query=query,
            chosen=None if match.chosen is None else candidate(match.chosen),
            candidates=[candidate(c) for c in match.candidates],
            ambiguous=match.ambiguous,
        )

    @tool(app, backend, title="A task and example rows", annotations=READ)
    async def get_task(
        task_id: TaskId,
        examples: Annotated[int, Field(ge=0, le=50, description="sample rows to include")] = 3,
    ) -> TaskOut:
        """A task's input and output schema, with example rows: the shape the rows of an
        eval must have."""
        task = await backend.client().tasks.retrieve(task_id, examples_n=examples or None)
        data = task.to_dict()
        rows = data.pop("examples", None) or []
        return TaskOut(
            task_id=task.id or task_id,
            title=data.get("title"),
            description=data.get("description"),
            input_schema=data.get("input_schema"),
            output_schema=data.get("output_schema"),
            has_blob_input=bool(task.has_blob_input),
            examples=[r for r in rows if isinstance(r, dict)],
            task=data,
        )

    @tool(app, backend, title="A task's leaderboard", annotations=READ)
    async def leaderboard(task_id: TaskId) -> LeaderboardOut:
        """Open models ranked by quality and cost on a task, the frontier baseline, the
        Pareto front (nothing beats these on both quality and cost) and the recommended
        model to deploy."""
        return LeaderboardOut.of(await backend.client().tasks.leaderboard(task_id))

    @tool(app, backend, title="Frontier baselines", annotations=READ)
    async def frontier_models(
        task_id: Annotated[
            str | None, Field(description="scope to a task: filtered and marked benchmarked")
        ] = None,
    ) -> FrontierModelsOut:
        """The frontier (vendor) models an eval can score as baselines beside open models."""
        roster = await backend.client().evals.frontier_models(task=task_id)
        return FrontierModelsOut(
            task_id=task_id,
            models=[
                FrontierModelOut(
                    id=m.id or "", vendor=m.vendor, vision=m.vision, benchmarked=m.benchmarked
                )
                for m in roster
            ],
        )
