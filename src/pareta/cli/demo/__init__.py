"""``pareta demo``: a local Pareta server, and the discovery funnel walked against it."""

from __future__ import annotations

import argparse
import importlib.util

from ... import AsyncPareta, Pareta
from ..commands import Subparsers
from ..console import Output
from ..errors import UsageError
from . import async_funnel, funnel
from .story import INTENT, Story

# On a terminal the progress bars should be seen to move (a deploy takes 0.8s, a run of
# 8 rows on 7 models about as long); piped, nobody watches them, so nothing waits.
# (seconds per deploy, seconds per row and model of an eval run)
WATCHABLE = (0.8, 0.015)
BRISK = (0.05, 0.0005)
LOCAL_HINT = 'the demo runs a local server, which needs its extra: pip install "pareta[local]"'


def register(sub: Subparsers) -> None:
    text = "run a local Pareta server and walk the discovery funnel against it"
    parser = sub.add_parser(
        "demo",
        help=text,
        description=f"{text}: match a task, read its leaderboard, evaluate the top open "
        "models against the frontier on sample rows, deploy the winner, stream an answer "
        "from it, read its metrics, and clean up.",
    )
    client = parser.add_mutually_exclusive_group()
    client.add_argument(
        "--async",
        dest="backend",
        action="store_const",
        const="asyncio",
        help="use AsyncPareta on asyncio",
    )
    client.add_argument(
        "--trio", dest="backend", action="store_const", const="trio", help="use AsyncPareta on trio"
    )
    parser.add_argument(
        "--rows", type=int, default=8, metavar="N", help="sample rows to evaluate on (%(default)s)"
    )
    parser.add_argument("--intent", default=INTENT, help="the job, in plain English")
    parser.set_defaults(standalone=run_demo, backend=None)


def run_demo(args: argparse.Namespace, out: Output, extra: list[str]) -> int:
    if args.rows < 1:
        raise UsageError(f"--rows must be at least 1, got {args.rows}")
    if args.backend == "trio" and importlib.util.find_spec("trio") is None:
        raise UsageError("--trio needs trio: pip install trio")
    try:
        from ...local import LocalServer
    except ImportError as exc:
        out.error(f"error: {LOCAL_HINT} ({exc})")
        return 1
    deploy_seconds, eval_seconds = WATCHABLE if out.interactive else BRISK
    server = LocalServer(deploy_seconds=deploy_seconds, eval_seconds_per_item=eval_seconds)
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        out.error(f"error: the local Pareta server did not start: {exc}")
        return 1
    try:
        story = Story(out, intent=args.intent, rows=args.rows)
        _walk_with(args.backend, server.base_url, server.api_key, story)
    finally:
        server.stop()
    story.outro()
    return 0


def _walk_with(backend: str | None, base_url: str, api_key: str, story: Story) -> None:
    if backend is None:
        story.intro(base_url, "the sync client, Pareta")
        with Pareta(api_key=api_key, base_url=base_url) as pa:
            funnel.walk(pa, story)
        return
    import anyio

    story.intro(base_url, f"AsyncPareta on {backend}")
    anyio.run(_walk, base_url, api_key, story, backend=backend)


async def _walk(base_url: str, api_key: str, story: Story) -> None:
    async with AsyncPareta(api_key=api_key, base_url=base_url) as pa:
        await async_funnel.walk(pa, story)
