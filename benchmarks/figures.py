"""The documentation's figures: a results file of ``run.py`` as a markdown fragment.

    python benchmarks/figures.py                      # results.json -> results.md
    python benchmarks/figures.py other.json -o other.md

``run.py`` writes the fragment beside its JSON after every run; docs/performance.md
includes it, so the figures on that page are always those of the committed results file,
never typed by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from report import checks_text, imports_table, results_table

HERE = Path(__file__).resolve().parent


def provenance(meta: dict[str, Any]) -> str:
    """Where and how the figures were measured, in one paragraph."""
    settings = meta.get("settings", {})
    source = meta.get("pareta_source", {})
    versions = ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items() if v)
    head = source.get("git_head")
    dirty = " with local changes" if source.get("git_dirty") else ""
    commit = f"commit `{head[:12]}`{dirty}" if head else "an unknown commit"
    python = meta.get("python", "?").split()[0]
    return (
        f"Measured by `python benchmarks/run.py` in {meta.get('mode', '?')} mode "
        f"({settings.get('reps', '?')} repetitions, {meta.get('elapsed_s', 0):.0f} s) at "
        f"{commit}, on Python {python} ({meta.get('platform', '?')}); {versions}."
    )


def fragment(payload: dict[str, Any]) -> str:
    """The results as markdown: provenance, the client table, imports, the targets."""
    clients = payload["clients"]
    stats = {name: run.get("summary", {}) for name, run in clients.items()}
    parts = [
        provenance(payload["meta"]),
        "Client CPU in µs, median (min–max) over the repetitions, and ×ratio to the `vs` "
        "client's median:",
        results_table(stats, clients),
    ]
    seconds = payload.get("imports", {}).get("seconds")
    if seconds:
        parts += ["Import time (wall, a fresh interpreter):", imports_table(seconds)]
    parts += ["Targets:", "```text\n" + checks_text(payload["checks"]) + "\n```"]
    return "\n\n".join(parts) + "\n"


def write(results: Path, output: Path | None = None) -> Path:
    import json

    target = output or results.with_suffix(".md")
    target.write_text(fragment(json.loads(results.read_text(encoding="utf-8"))), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("results", nargs="?", type=Path, default=HERE / "results.json")
    parser.add_argument("-o", "--output", type=Path, default=None)
    args = parser.parse_args(argv)
    print(f"wrote {write(args.results, args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
