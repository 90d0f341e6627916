"""What a run of the documentation's examples must show: every runnable block passes,
except the few the documentation itself gets wrong, which must fail the way recorded."""

from __future__ import annotations

from .report import Outcome, summarize
from .rewrite import Plan

# What the documentation held when this list was written: 361 python blocks, 326
# runnable, 322 passing. Fewer means blocks stopped being extracted or run.
MIN_RUNNABLE = 326
MIN_PASSED = 322
MAX_NOT_RUNNABLE = 35

# Blocks the documentation gets wrong, keyed by page and a fragment of the block (not
# its line, which moves whenever the page is edited above it), with what the failure
# must say.
KNOWN_SPEC_BUGS = {
    # Uploads to row idx=2 of the two-row set the example before it creates
    # (reference/evals.md uses idx=1).
    ("guide/evaluation.md", 'idx=2, field_name="document", mime="image/tiff"'): (
        "idx must be within 0..1"
    ),
    # Attaches a PDF to a set of the page's task, contract-key-fields, a text task.
    ("examples/find-and-deploy-best-model.md", '"contracts/0001.pdf"'): "takes no documents",
    # Its rows use 'text' / 'target' keys where the task schema and every other example
    # use 'input' / 'expected': every item errors, quality_mean is None, and the
    # f-string `{r.quality_mean:.3f}` raises.
    ("examples/evaluate-on-your-data.md", 'name="contract fields v1"'): (
        "unsupported format string passed to NoneType.__format__"
    ),
    # Asserts the illustrative cost $0.42, which no particular run costs.
    ("reference/types.md", 'assert run.cost == Decimal("0.42")'): "AssertionError",
}


def known_bug(plan: Plan) -> str | None:
    for (page, fragment), message in KNOWN_SPEC_BUGS.items():
        if plan.block.page == page and fragment in plan.block.source:
            return message
    return None


def block_problem(plan: Plan, outcome: Outcome) -> str | None:
    """What is wrong with one block's outcome, if anything."""
    if outcome.status == "not runnable":
        return None if outcome.detail else f"{outcome.label}: not runnable, with no reason"
    expected = known_bug(plan)
    if expected is None:
        return None if outcome.status == "passed" else f"{outcome.label}: {outcome.detail}"
    if outcome.status == "passed":
        return f"{outcome.label}: passed: the documentation's bug is fixed, drop its entry"
    if expected not in outcome.detail + outcome.traceback:
        return f"{outcome.label}: expected to fail with {expected!r}, got {outcome.detail}"
    return None


def whole_run_problems(plans: list[Plan], outcomes: list[Outcome]) -> list[str]:
    """Checks that only hold for a run of every block: the counts, and the bug list."""
    totals = summarize(outcomes)
    problems = []
    if totals["runnable"] < MIN_RUNNABLE or totals["passed"] < MIN_PASSED:
        problems.append(f"fewer blocks ran or passed than before: {totals}")
    if totals["not runnable"] > MAX_NOT_RUNNABLE:
        problems.append(f"more blocks are not runnable than before: {totals}")
    for page, fragment in KNOWN_SPEC_BUGS:
        if not any(p.block.page == page and fragment in p.block.source for p in plans):
            problems.append(f"no block of {page} contains {fragment!r} any more: drop the entry")
    return problems


def verdict(plans: list[Plan], outcomes: list[Outcome], *, whole: bool) -> list[str]:
    problems = [block_problem(p, o) for p, o in zip(plans, outcomes, strict=True)]
    found = [p for p in problems if p is not None]
    return found + (whole_run_problems(plans, outcomes) if whole else [])
