"""What each block did, and the table and totals printed at the end of a run."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .rewrite import Plan


@dataclass
class Outcome:
    index: int
    page: str
    line: int
    status: str  # passed | failed | not runnable | pending
    detail: str = ""
    substitutions: list[str] = field(default_factory=list)
    prelude: list[dict[str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    phase: str = ""
    spec_line: int | None = None
    traceback: str = ""
    stdout: str = ""
    stderr: str = ""
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.page}:{self.line}"

    @classmethod
    def planned(cls, p: Plan) -> Outcome:
        return cls(
            p.block.index,
            p.block.page,
            p.block.line,
            "pending" if p.runnable else "not runnable",
            p.reason,
            list(p.substitutions),
            [{"name": i.name, "code": i.code, "origin": i.origin} for i in p.prelude],
            list(p.files),
            list(p.notes),
        )

    def record(self, res: dict[str, Any]) -> None:
        """Take in a worker's result for this block."""
        self.status = res["status"]
        self.seconds = res.get("seconds", 0.0)
        self.phase = res.get("phase", "")
        self.spec_line = res.get("spec_line")
        self.traceback = res.get("traceback", "")
        self.stdout = res.get("stdout", "")
        self.stderr = res.get("stderr", "")
        self.ids = res.get("ids", {})
        self.notes += res.get("notes", [])
        if self.status != "passed":
            where = f" (spec line {self.spec_line})" if self.spec_line else ""
            phase = "" if self.phase == "block" else f" [in {self.phase}]"
            self.detail = f"{res.get('exception', '?')}{where}{phase}"


def summarize(outcomes: list[Outcome]) -> dict[str, int]:
    totals = {"blocks": len(outcomes), "passed": 0, "failed": 0, "not runnable": 0}
    for o in outcomes:
        totals[o.status] = totals.get(o.status, 0) + 1
    totals["runnable"] = totals["passed"] + totals["failed"]
    return totals


def _print_block(o: Outcome, width: int, out: TextIO, verbose: bool) -> None:
    status = o.status if not o.detail else f"{o.status}: {o.detail}"
    print(f"{o.index:>3}  {o.label:<{width}}  {status}", file=out)
    for s in o.substitutions:
        print(f"{'':>5}  substituted: {s}", file=out)
    if verbose or o.status == "failed":
        for p in o.prelude:
            print(f"{'':>5}  prelude ({p['origin']}): {p['code'].splitlines()[-1]}", file=out)
    elif o.prelude:
        names = ", ".join(f"{p['name']} ({p['origin']})" for p in o.prelude)
        print(f"{'':>5}  prelude: {names}", file=out)
    for n in o.notes:
        print(f"{'':>5}  note: {n}", file=out)
    if o.files:
        print(f"{'':>5}  fake files: {', '.join(o.files)}", file=out)


def _print_totals(outcomes: list[Outcome], out: TextIO) -> None:
    totals = summarize(outcomes)
    print(
        f"\nblocks: {totals['blocks']}; runnable: {totals['runnable']}, of which "
        f"{totals['passed']} passed and {totals['failed']} failed; "
        f"not runnable: {totals['not runnable']}",
        file=out,
    )
    reasons: dict[str, int] = {}
    for o in outcomes:
        if o.status == "not runnable":
            r = re.sub(r"\(SyntaxError.*", "", o.detail).strip()
            reasons[r] = reasons.get(r, 0) + 1
    for r, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print(f"  not runnable x{n}: {r}", file=out)


def _print_flagged(outcomes: list[Outcome], out: TextIO) -> None:
    flagged = [
        (o, n)
        for o in outcomes
        if o.status == "passed"
        for n in o.notes
        if n.startswith(("its `except", "eval run"))
    ]
    if flagged:
        print("\npassed, but only through an error path or with errored eval items:", file=out)
        for o, n in flagged:
            print(f"  {o.index:>3}  {o.label}  {n}", file=out)


def print_table(outcomes: list[Outcome], out: TextIO = sys.stdout, verbose: bool = False) -> None:
    width = max((len(o.label) for o in outcomes), default=10)
    print(f"{'#':>3}  {'page:line':<{width}}  status", file=out)
    for o in outcomes:
        _print_block(o, width, out, verbose)
    _print_totals(outcomes, out)
    _print_flagged(outcomes, out)


def write_json(path: Path, spec: Path, outcomes: list[Outcome]) -> None:
    report = {
        "spec": str(spec),
        "totals": summarize(outcomes),
        "blocks": [asdict(o) for o in outcomes],
    }
    path.write_text(json.dumps(report, indent=2))
