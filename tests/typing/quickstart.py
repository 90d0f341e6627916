"""The quickstart's steps, one after another, as a user would write them with the sync client.

mypy checks this file under --strict with no ``None`` checks or casts beyond what the
documented types call for (an id reads ``None`` when absent: narrowed once);
tests/typing/test_programs.py runs it against a local server.
"""

from __future__ import annotations

from decimal import Decimal

from pareta import Endpoint, InsufficientCreditsError, Pareta


def walk(pa: Pareta, task: str) -> list[str]:
    """Pick, deploy, call (whole and streamed), list, stop; returns what it printed."""
    lines: list[str] = []
    pick = pa.tasks.recommended(task)
    lines.append(f"recommended: {pick}")

    ep: Endpoint = pa.endpoints.deploy(task=task, model="recommended", wait=True)
    lines.append(f"live endpoint: {ep.id} {ep.status}")
    if ep.id is None:  # fields read None when the server leaves them out: narrow once
        raise RuntimeError(f"the deploy answered without an endpoint id: {ep.to_dict()}")

    resp = pa.chat.completions.create(
        model=ep.id, messages=[{"role": "user", "content": "Name the parties to this agreement."}]
    )
    lines.append(resp.choices[0].message.content or "")
    tokens: int | None = resp.usage.total_tokens
    lines.append(f"tokens: {tokens}")

    pieces = [
        chunk.choices[0].delta.content or ""
        for chunk in pa.chat.completions.create(
            model=ep.id,
            messages=[{"role": "user", "content": "List the dates in this contract."}],
            stream=True,
        )
    ]
    lines.append("".join(pieces))

    try:
        pa.chat.completions.create(model=ep.id, messages=[{"role": "user", "content": "ping"}])
    except InsufficientCreditsError:
        lines.append("out of credit: top up in the dashboard")

    callable_ids: list[str | None] = [m.id for m in pa.models.list()]
    lines.append(f"callable: {ep.id in callable_ids}")

    pa.endpoints.stop(ep.id)
    return lines


def billed(pa: Pareta, task: str, models: list[str]) -> Decimal:
    """The quickstart's note on cost: an eval run's bill, in dollars floored to cents."""
    run = pa.evals.runs.create(
        task=task,
        items=[
            {"input": "Effective as of 2026-01-01.", "expected": {"effective_date": "2026-01-01"}}
        ],
        models=models,
        wait=True,
        poll_interval=0.05,
    )
    micro: int = run.cost_micro_usd
    assert run.cost <= Decimal(micro) / 1_000_000
    return run.cost
