"""The demo's funnel on the sync ``Pareta``. ``async_funnel.py`` is its async twin:
keep the two line for line, differing only in ``async``/``await``."""

from __future__ import annotations

from typing import Any

from ... import Pareta
from ..._models import Endpoint
from ..._twins import sleep
from ..progress import follow_deploy
from .story import NAME, POLL_INTERVAL, Story


def walk(pa: Pareta, story: Story) -> None:
    story.matching()
    task_id = story.matched(pa.tasks.match(story.intent, top_k=3))
    story.ranking(task_id)
    models = story.ranked(pa.tasks.leaderboard(task_id))
    items = story.sample_rows(pa.tasks.retrieve(task_id, examples_n=story.rows))
    story.evaluating(task_id, items, models)
    started = pa.evals.runs.create(
        task=task_id, items=items, models=models, frontier="benchmarked", name=NAME
    )
    run_id = str(started.id)
    eval_set_id = None
    try:
        with story.eval_progress(started) as stages:
            run = pa.evals.runs.retrieve(run_id)
            eval_set_id = run.eval_set_id
            while story.pending(run, stages):
                sleep(POLL_INTERVAL)
                run = pa.evals.runs.retrieve(run_id)
        winner = story.scored(run)
        deploy_and_use(pa, story, task_id, winner, items)
    finally:
        if eval_set_id:
            pa.evals.sets.delete(eval_set_id)
            story.removed("eval set", eval_set_id)


def deploy_and_use(
    pa: Pareta, story: Story, task_id: str, model: str, items: list[dict[str, Any]]
) -> None:
    endpoint: Endpoint | None = None
    stream = pa.endpoints.deploy(task=task_id, model=model)
    with stream:  # noqa: SIM117 (kept line for line with async_funnel.py)
        with story.deploying(task_id, model) as stages:
            for event in stream:
                endpoint = follow_deploy(event, stages) or endpoint
    endpoint_id = story.deployed(endpoint)
    try:
        messages = story.prompt(endpoint_id, items)
        chunks = pa.chat.completions.create(model=endpoint_id, messages=messages, stream=True)
        with chunks:
            for chunk in chunks:
                story.token(chunk)
        story.answered()
        story.measuring(endpoint_id)
        metrics = pa.endpoints.metrics(endpoint_id)
        story.measured(metrics.performance(), metrics.cost())
    finally:
        story.cleaning_up()
        pa.endpoints.stop(endpoint_id)
        pa.endpoints.delete(endpoint_id)
        story.removed("endpoint", endpoint_id)
