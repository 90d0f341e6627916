"""The command line: run the examples, print the table, and exit 1 on any problem."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .expected import verdict
from .http_api import plan_http, run_http
from .plan import plan_all
from .report import Outcome, print_table, write_json
from .rewrite import Plan
from .run import DEFAULT_JOBS, DEFAULT_TIMEOUT, run

SPEC_ENV = "PARETA_SPEC_PATH"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tools.spec_examples",
        description="Run the documentation's examples against a local Pareta server.",
    )
    p.add_argument("spec", nargs="?", type=Path, help=f"the documentation (or ${SPEC_ENV})")
    p.add_argument(
        "--http", action="store_true", help="the HTTP API page's examples, each on a fresh server"
    )
    p.add_argument("--base-url", default=None, help="an already running local server")
    p.add_argument("--api-key", default=None, help="its key (with --base-url)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="per block, seconds")
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        help="worker processes (blocks mostly wait on polls and deploys, so more than cores)",
    )
    p.add_argument(
        "-k", dest="pattern", help="only blocks whose page:line, index or source contains this"
    )
    p.add_argument("--json", type=Path, default=None, help="write the full report here")
    p.add_argument("-v", "--verbose", action="store_true", help="list every prelude line")
    return p


def spec_path(args: argparse.Namespace) -> Path:
    spec = args.spec or os.environ.get(SPEC_ENV)
    if not spec:
        sys.exit(f"give the documentation's path: an argument, or ${SPEC_ENV}")
    path = Path(spec)
    if not path.is_file():
        sys.exit(f"no documentation at {path}")
    return path


def execute(args: argparse.Namespace, spec: Path) -> tuple[list[Plan], list[Outcome]]:
    if args.http:
        plans = plan_http(spec)
        return plans, run_http(plans, spec, args.timeout)
    plans = plan_all(spec, args.pattern)
    api_key = args.api_key or (os.environ.get("PARETA_API_KEY") if args.base_url else None)
    outcomes = run(
        plans, spec, base_url=args.base_url, api_key=api_key, timeout=args.timeout, jobs=args.jobs
    )
    return plans, outcomes


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    spec = spec_path(args)
    started = time.monotonic()
    plans, outcomes = execute(args, spec)
    print_table(outcomes, verbose=args.verbose)
    print(f"({time.monotonic() - started:.1f}s)")
    if args.json:
        write_json(args.json, spec, outcomes)
    problems = verdict(plans, outcomes, whole=not (args.http or args.pattern))
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if problems else 0
