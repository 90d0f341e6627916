"""The demo's funnel, written once: ``async_funnel.py`` runs on asyncio or trio, and
``funnel.py``, its sync twin, is generated from it by ``tools/gen_sync.py``."""

from __future__ import annotations

from typing import Any

from ... import AsyncPareta
from ..._objects.models import Endpoint
from ..._twins import asleep
from ..progress import follow_deploy
from .story import NAME, POLL_INTERVAL, Story


async def walk(pa: AsyncPareta, story: Story) -> None:
    story.matching()
    task_id = story.matched(await pa.tasks.match(story.intent, top_k=3))
    story.ranking(task_id)
    models = story.ranked(await pa.tasks.leaderboard(task_id))
    items = story.sample_rows(await pa.tasks.retrieve(task_id, examples_n=story.rows))
    story.evaluating(task_id, items, models)
    started = await pa.evals.runs.create(
        task=task_id, items=items, models=models, frontier="benchmarked", name=NAME
    )
    run_id = str(started.id)
    eval_set_id = None
    try:
        with story.eval_progress(started) as stages:
            run = await pa.evals.runs.retrieve(run_id)
            eval_set_id = run.eval_set_id
            while story.pending(run, stages):
                await asleep(POLL_INTERVAL)
                run = await pa.evals.runs.retrieve(run_id)
        winner = story.scored(run)
        await deploy_and_use(pa, story, task_id, winner, items)
    finally:
        if eval_set_id:
            await pa.evals.sets.delete(eval_set_id)
            story.removed("eval set", eval_set_id)


async def deploy_and_use(
    pa: AsyncPareta, story: Story, task_id: str, model: str, items: list[dict[str, Any]]
) -> None:
    endpoint: Endpoint | None = None
    stream = await pa.endpoints.deploy(task=task_id, model=model)
    async with stream:
        with story.deploying(task_id, model) as stages:
            async for event in stream:
                endpoint = follow_deploy(event, stages) or endpoint
    endpoint_id = story.deployed(endpoint)
    try:
        messages = story.prompt(endpoint_id, items)
        chunks = await pa.chat.completions.create(model=endpoint_id, messages=messages, stream=True)
        async with chunks:
            async for chunk in chunks:
                story.token(chunk)
        story.answered()
        story.measuring(endpoint_id)
        metrics = pa.endpoints.metrics(endpoint_id)
        story.measured(await metrics.performance(), await metrics.cost())
    finally:
        story.cleaning_up()
        await pa.endpoints.stop(endpoint_id)
        await pa.endpoints.delete(endpoint_id)
        story.removed("endpoint", endpoint_id)
