"""Run the client benchmark suite: CPU per request/chunk, import time and peak RSS.

    python benchmarks/run.py                  # full run (about 3-4 minutes on 2 cores)
    python benchmarks/run.py --quick          # CI-sized run (under a minute)
    python benchmarks/run.py --clients pareta-asyncio httpx-asyncio --reps 3

Prints a markdown table and the issue's PASS/FAIL target lines, and writes every raw
number to benchmarks/results.json. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from importlib import metadata, util
from pathlib import Path
from typing import Any

from figures import write as write_figures
from imports import pareta_extras, time_imports
from procs import Pinning, choose_pinning, loopback_server, run_worker
from report import (
    RSS,
    checks_text,
    evaluate,
    imports_table,
    results_table,
    summaries,
    twins_table,
)
from spec import BY_NAME, C64, C256, CLIENTS, IMPORTS, SEQ, STREAM

HERE = Path(__file__).resolve().parent
DISTRIBUTIONS = ("pareta", "httpx", "httpcore", "anyio", "trio", "aiohttp", "openai", "httpx2")


@dataclass(frozen=True)
class Settings:
    reps: int  # repetitions of every client's CPU workloads
    seq: int  # requests in the sequential workload
    c64: int  # requests in the 64-concurrent workload
    c256: int  # requests in the 256-concurrent workload
    streams: int  # streams read one after the other in the streaming workload
    chunks: int  # chunks per stream
    rss_reps: int  # processes per client that run only the 256-concurrent workload
    rss_requests: int  # requests each of those runs (after one warm-up round)
    import_runs: int  # fresh interpreters per imported module
    ramp_ms: int = 0  # concurrent loops start this far apart; 0: all at once, as a batch does

    def count(self, workload: str) -> int:
        return {SEQ: self.seq, C64: self.c64, C256: self.c256, STREAM: self.streams}[workload]


PRESETS = {
    "full": Settings(
        reps=5,
        seq=400,
        c64=512,
        c256=768,
        streams=8,
        chunks=200,
        rss_reps=2,
        rss_requests=256,
        import_runs=5,
    ),
    "quick": Settings(
        reps=2,
        seq=150,
        c64=128,
        c256=256,
        streams=3,
        chunks=200,
        rss_reps=1,
        rss_requests=256,
        import_runs=3,
    ),
}


def parse_args(argv: list[str] | None = None) -> tuple[Settings, argparse.Namespace]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized run (under a minute)")
    parser.add_argument(
        "--clients",
        nargs="+",
        default=[client.name for client in CLIENTS],
        choices=[client.name for client in CLIENTS],
        metavar="CLIENT",
        help="clients to run (default: all): " + ", ".join(c.name for c in CLIENTS),
    )
    for field, help_text in (
        ("reps", "repetitions per client"),
        ("seq", "requests, sequential workload"),
        ("c64", "requests, 64-concurrent workload"),
        ("c256", "requests, 256-concurrent workload"),
        ("streams", "streams per streaming workload"),
        ("chunks", "chunks per stream"),
        ("rss-reps", "peak-RSS processes per client"),
        ("rss-requests", "requests per peak-RSS process"),
        ("import-runs", "interpreters per import measurement"),
        ("ramp-ms", "ms between the starts of concurrent loops (default 0: all at once)"),
    ):
        parser.add_argument(f"--{field}", type=int, default=None, help=help_text)
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and clients")
    parser.add_argument("--no-imports", action="store_true", help="skip import timing")
    parser.add_argument("--output", type=Path, default=HERE / "results.json")
    args = parser.parse_args(argv)
    preset = asdict(PRESETS["quick" if args.quick else "full"])
    for name in preset:
        value = getattr(args, name)
        if value is not None:
            if value < (0 if name == "ramp_ms" else 1):
                parser.error(f"--{name.replace('_', '-')} is too small")
            preset[name] = value
    return Settings(**preset), args


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def pareta_source() -> dict[str, Any]:
    """Where the measured pareta comes from, and its git state when it is a checkout."""
    found = util.find_spec("pareta")
    origin = found.origin if found is not None else None
    source: dict[str, Any] = {"path": origin, "git_head": None, "git_dirty": None}
    if origin is None:
        return source
    package = str(Path(origin).parent)
    head = subprocess.run(
        ["git", "-C", package, "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    if head.returncode == 0:
        status = subprocess.run(
            ["git", "-C", package, "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            check=False,
        )
        source.update(git_head=head.stdout.strip(), git_dirty=bool(status.stdout.strip()))
    return source


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def record(run: dict[str, Any], answer: dict[str, Any], metric: str | None = None) -> None:
    """Fold one worker answer into ``run``; a failure marks the client and stops it."""
    if "unavailable" in answer:
        run.update(status="unavailable", reason=answer["unavailable"])
        return
    if "error" in answer:
        run.update(status="error", reason=answer["error"])
        return
    values = run["values"]
    if metric == RSS:
        values.setdefault(RSS, []).append(answer["maxrss_kb"] / 1024)
        return
    run["reps"].append(answer["results"])
    for workload, result in answer["results"].items():
        values.setdefault(workload, []).append(result["cpu_us_per_unit"])


def run_clients(
    settings: Settings, names: list[str], url: str, pinning: Pinning
) -> dict[str, dict[str, Any]]:
    """Every repetition runs every client once, in a rotated order, each in a new process."""
    runs: dict[str, dict[str, Any]] = {
        name: {"status": "ok", "reason": "", "values": {}, "reps": []} for name in names
    }
    for rep in range(settings.reps):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for name in order:
            run = runs[name]
            if run["status"] != "ok":
                continue
            plan = [(w, settings.count(w)) for w in BY_NAME[name].workloads]
            started = time.perf_counter()
            record(run, run_worker(name, url, plan, pinning, settings.ramp_ms))
            elapsed = time.perf_counter() - started
            progress(f"rep {rep + 1}/{settings.reps} {name}: {run['status']} ({elapsed:.1f} s)")
    for rep in range(settings.rss_reps):
        for name in names:
            run = runs[name]
            if run["status"] == "ok" and C256 in BY_NAME[name].workloads:
                record(
                    run,
                    run_worker(
                        name, url, [(C256, settings.rss_requests)], pinning, settings.ramp_ms
                    ),
                    RSS,
                )
        progress(f"peak RSS {rep + 1}/{settings.rss_reps} done")
    return runs


def main(argv: list[str] | None = None) -> int:
    settings, args = parse_args(argv)
    names = list(dict.fromkeys(args.clients))
    pinning = choose_pinning(not args.no_pin)
    started = time.perf_counter()
    with loopback_server(settings.chunks, pinning) as url:
        progress(f"server at {url}; pinning: {pinning}")
        runs = run_clients(settings, names, url, pinning)
    imports: dict[str, list[float]] = {}
    extras: dict[str, Any] = {}
    if not args.no_imports:
        imports = time_imports(IMPORTS, settings.import_runs, pinning)
        extras = pareta_extras()
    stats = summaries(runs)
    outcomes = evaluate(stats, runs, imports)
    elapsed = time.perf_counter() - started

    print("## Client CPU (µs, median (min–max) ×ratio to the `vs` client's median)\n")
    print(results_table(stats, runs))
    print("\n## The async clients against the sync client (ratios of medians, same run)\n")
    print(twins_table(stats, runs))
    if imports:
        print("\n## Import time (wall, fresh interpreter)\n")
        print(imports_table(imports))
        top = ", ".join(f"{m['module']} {m['self_us'] / 1e3:.1f} ms" for m in extras["top"][:5])
        total_ms = extras["self_us_total"] / 1e3
        print(
            f"\nimport pareta loads {extras['modules']} modules beyond httpx "
            f"({total_ms:.1f} ms self time; slowest: {top})"
        )
    print("\n## Targets\n")
    print(checks_text(outcomes))
    print(f"\n({elapsed:.0f} s, {'quick' if args.quick else 'full'} mode)")

    meta = {
        "mode": "quick" if args.quick else "full",
        "settings": asdict(settings),
        "pinning": asdict(pinning),
        "python": sys.version,
        "platform": platform.platform(),
        "versions": versions(),
        "pareta_source": pareta_source(),
        "elapsed_s": elapsed,
    }
    payload = {
        "meta": meta,
        "clients": {
            name: {**run, "note": BY_NAME[name].note, "summary": stats[name]}
            for name, run in runs.items()
        },
        "imports": {"seconds": imports, "pareta_beyond_httpx": extras},
        "checks": outcomes,
    }
    args.output.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    progress(f"wrote {args.output} and, for the documentation, {write_figures(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
