"""The README's first program, as written there (tests/typing/test_programs.py keeps the
two identical); mypy checks it under --strict."""

from pareta import Pareta
from pareta.local import LocalServer

with LocalServer() as server, Pareta(api_key=server.api_key, base_url=server.base_url) as pa:
    chosen = pa.tasks.match("extract key fields from contracts").chosen
    if chosen is None or chosen.task_id is None:  # a field the server left out reads None
        raise SystemExit("no task matched with confidence: rephrase the query")
    task = chosen.task_id
    print("recommended:", pa.tasks.recommended(task))

    run = pa.evals.runs.create(
        task=task,
        items=[
            {
                "input": "Effective as of January 1, 2026 ...",
                "expected": {"effective_date": "2026-01-01"},
            }
        ],
        models=[e.name for e in pa.tasks.leaderboard(task).models[:2] if e.name],
        frontier="benchmarked",
        wait=True,
        poll_interval=0.2,
    )
    best = max((r for r in run.results if r.kind == "open"), key=lambda r: r.quality_mean or 0)
    ep = pa.endpoints.deploy(task=task, model=best.model_id or "recommended", wait=True)
    if ep.id is None:
        raise SystemExit(f"the deploy answered without an endpoint id: {ep.to_dict()}")
    for chunk in pa.chat.completions.create(
        model=ep.id,
        messages=[{"role": "user", "content": "Effective as of 2026-03-01."}],
        stream=True,
    ):
        print(chunk.choices[0].delta.content or "", end="")
    print("\neval billed:", run.cost)
