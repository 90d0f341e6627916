"""``pareta chat``: OpenAI-compatible inference against a deployed endpoint."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..console import Output
from . import Subparsers

if TYPE_CHECKING:
    from ... import Pareta


def register(sub: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    text = "send a prompt to an endpoint and print the answer as it streams"
    parser = sub.add_parser("chat", help=text, description=text, parents=parents)
    parser.add_argument("endpoint_id", metavar="ENDPOINT", help="an endpoint id, e.g. ep_a1b2c3")
    parser.add_argument("prompt", metavar="PROMPT", help="the user message")
    parser.add_argument("--system", metavar="TEXT", help="a system message to send first")
    parser.add_argument(
        "--no-stream", dest="stream", action="store_false", help="wait for the whole answer"
    )
    parser.add_argument("--max-tokens", type=int, metavar="N", help="cap the answer's length")
    parser.add_argument("--temperature", type=float, metavar="T", help="sampling temperature")
    parser.set_defaults(handler=chat)


def messages(args: argparse.Namespace) -> list[dict[str, Any]]:
    system = [{"role": "system", "content": args.system}] if args.system else []
    return [*system, {"role": "user", "content": args.prompt}]


def options(args: argparse.Namespace) -> dict[str, Any]:
    chosen = {"max_tokens": args.max_tokens, "temperature": args.temperature}
    return {key: value for key, value in chosen.items() if value is not None}


def chat(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    # One JSON document for scripts means the whole completion, never a stream of chunks.
    if out.as_json or not args.stream:
        completion = pa.chat.completions.create(
            model=args.endpoint_id, messages=messages(args), **options(args)
        )
        if out.as_json:
            out.data(completion)
        else:
            message = completion.choices[0].message if completion.choices else None
            out.write((message.content if message else None) or "")
            out.write("\n")
        return
    stream = pa.chat.completions.create(
        model=args.endpoint_id, messages=messages(args), stream=True, **options(args)
    )
    with stream:
        for chunk in stream:
            if chunk.choices:
                out.write(chunk.choices[0].delta.content or "")
    out.write("\n")
