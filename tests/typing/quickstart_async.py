"""The quickstart's steps with ``AsyncPareta``: the same program with ``await``.

mypy checks this file under --strict; tests/typing/test_programs.py runs it against a local
server on asyncio and trio.
"""

from __future__ import annotations

from pareta import AsyncPareta, Endpoint


async def walk(pa: AsyncPareta, task: str) -> list[str]:
    """Pick, deploy, call (whole and streamed), list, stop; returns what it printed."""
    lines: list[str] = []
    lines.append(f"recommended: {await pa.tasks.recommended(task)}")

    ep: Endpoint = await pa.endpoints.deploy(task=task, model="recommended", wait=True)
    lines.append(f"live endpoint: {ep.id} {ep.status}")
    if ep.id is None:  # fields read None when the server leaves them out: narrow once
        raise RuntimeError(f"the deploy answered without an endpoint id: {ep.to_dict()}")

    resp = await pa.chat.completions.create(
        model=ep.id, messages=[{"role": "user", "content": "Name the parties to this agreement."}]
    )
    lines.append(resp.choices[0].message.content or "")

    pieces: list[str] = []
    async with await pa.chat.completions.create(
        model=ep.id,
        messages=[{"role": "user", "content": "List the dates in this contract."}],
        stream=True,
    ) as stream:
        async for chunk in stream:
            pieces.append(chunk.choices[0].delta.content or "")
    lines.append("".join(pieces))

    callable_ids = [m.id for m in await pa.models.list()]
    lines.append(f"callable: {ep.id in callable_ids}")

    await pa.endpoints.stop(ep.id)
    return lines
