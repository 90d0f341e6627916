"""The spec's own Python examples run, as written, against one local server.

`tools/spec_examples.py` extracts every ```python block of the spec, classifies it
and runs each runnable one in a fresh process (its own org, a temporary working
directory, PARETA_API_KEY / PARETA_BASE_URL set). Every runnable block must pass,
except the few the spec itself gets wrong: those must fail, the way recorded below,
so that a fix to the spec (or a change in behaviour) shows up here. Blocks that are
not Python (signatures) or need what a local server cannot give (a corporate proxy,
api.openai.com) are counted and must each carry a reason.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "spec_examples.py"


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("spec_examples", TOOL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


se = _load_tool()
SPEC = Path(os.environ.get(se.SPEC_ENV, se.DEFAULT_SPEC))
PLANS = se.plan_all(SPEC) if SPEC.is_file() else []  # test_the_spec_is_here fails then

# What the spec held when this test was written: 361 python blocks, 326 runnable,
# 322 passing. Fewer means blocks stopped being extracted or run.
MIN_RUNNABLE = 326
MIN_PASSED = 322
NOT_RUNNABLE = 35

# Blocks the spec itself gets wrong, keyed by page and a fragment of the block's text
# (not its line, which moves whenever the spec is edited above it), with what the
# failure must say.
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


def known_bug(plan: Any) -> str | None:
    for (page, fragment), message in KNOWN_SPEC_BUGS.items():
        if plan.block.page == page and fragment in plan.block.source:
            return message
    return None


@pytest.fixture(scope="module")
def outcomes() -> dict[int, Any]:
    # One LocalServer (deploy_seconds=0.05, eval_seconds_per_item=0.0005) for all blocks.
    return {o.index: o for o in se.run(SPEC)}


def test_the_spec_is_here() -> None:
    assert SPEC.is_file(), f"no spec at {SPEC}: set {se.SPEC_ENV} to its path"
    assert len(PLANS) >= MIN_RUNNABLE + NOT_RUNNABLE


def test_the_spec_examples_ran(outcomes: dict[int, Any]) -> None:
    totals = se.summarize(list(outcomes.values()))
    assert totals["blocks"] == len(PLANS)
    assert totals["runnable"] >= MIN_RUNNABLE, totals
    assert totals["passed"] >= MIN_PASSED, totals
    assert totals["not runnable"] <= NOT_RUNNABLE, totals
    unexplained = [o for o in outcomes.values() if o.status == "not runnable" and not o.detail]
    assert unexplained == []


def test_every_known_spec_bug_still_matches_a_block() -> None:
    for page, fragment in KNOWN_SPEC_BUGS:
        assert any(p.block.page == page and fragment in p.block.source for p in PLANS), (
            f"no block of {page} contains {fragment!r} any more: drop the entry"
        )


RUNNABLE = [plan for plan in PLANS if plan.runnable]


@pytest.mark.parametrize("plan", RUNNABLE, ids=lambda plan: plan.block.label)
def test_spec_example(plan: Any, outcomes: dict[int, Any]) -> None:
    outcome = outcomes[plan.block.index]
    report = "\n".join(
        [f"{plan.block.label}: {outcome.detail}"]
        + [f"substituted: {s}" for s in outcome.substitutions]
        + [f"prelude ({p['origin']}): {p['code']}" for p in outcome.prelude]
        + [outcome.traceback, "--- stdout ---", outcome.stdout]
    )
    expected_failure = known_bug(plan)
    if expected_failure is None:
        assert outcome.status == "passed", report
    else:
        assert outcome.status == "failed", f"the spec bug is fixed: drop its entry\n{report}"
        assert expected_failure in outcome.detail + outcome.traceback, report
