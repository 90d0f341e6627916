"""The documentation examples runner's own logic, on small documents written here.

The runner itself (``python -m tools.spec_examples PATH``) needs the documentation,
which lives outside the repository; these tests need nothing outside it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.spec_examples.expected import KNOWN_SPEC_BUGS, block_problem, verdict
from tools.spec_examples.extract import extract_blocks
from tools.spec_examples.http_api import plan_http, run_http
from tools.spec_examples.plan import plan_all, plan_block
from tools.spec_examples.prelude import PageIndex
from tools.spec_examples.report import Outcome, summarize
from tools.spec_examples.rewrite import BASE_URL_TOKEN, KEY_TOKEN, Plan
from tools.spec_examples.run import run

FENCE = "```"
AUTH = '-H "Authorization: Bearer $PARETA_API_KEY"'


def doc(*parts: str) -> str:
    """A document from page markers (``@page.md``) and fenced blocks (``lang:code``)."""
    lines: list[str] = []
    for part in parts:
        if part.startswith("@"):
            lines += [f"<!-- {part[1:]} -->", ""]
        else:
            language, code = part.split(":", 1)
            lines += ["Some prose.", "", FENCE + language, *code.strip("\n").split("\n"), FENCE]
    return "\n".join(lines) + "\n"


def plans_of(text: str, tmp_path: Path) -> list[Plan]:
    spec = tmp_path / "docs.md"
    spec.write_text(text, encoding="utf-8")
    return plan_all(spec)


def test_blocks_carry_their_page_line_and_language() -> None:
    text = doc("@guide/a.md", "python:x = 1", "bash:curl https://x", "@guide/b.md", "json:{}")
    text += "  ```python\n  y = 2\n  ```\n"
    python = extract_blocks(text)
    assert [(b.page, b.line, b.source) for b in python] == [
        ("guide/a.md", 5, "x = 1\n"),
        ("guide/b.md", 20, "y = 2\n"),
    ]
    both = extract_blocks(text, ("python", "bash"))
    assert [b.language for b in both] == ["python", "bash", "python"]
    assert both[1].source == "curl https://x\n"
    assert python[0].label == "guide/a.md:5"


def test_blocks_that_cannot_run_say_why(tmp_path: Path) -> None:
    plans = plans_of(
        doc(
            "@guide/a.md",
            "python:pip install pareta",
            "python:def create(model: str, ...) -> X",
            "python:id: str\nstatus: str",
            "python:from openai import OpenAI\nOpenAI().models.list()",
        ),
        tmp_path,
    )
    reasons = [(p.runnable, p.reason.split(" (")[0]) for p in plans]
    assert reasons == [
        (False, "shell snippet labelled python"),
        (False, "signature / pseudo-code, not Python"),
        (False, "attribute listing"),
        (False, "calls api.openai.com with an OpenAI key"),
    ]


def test_a_fragment_gets_its_names_from_the_page_then_the_table(tmp_path: Path) -> None:
    first = 'prompt = "Extract the parties."\nother = 1'
    fragment = "print(prompt)\nprint(pa.models.list())\nprint(run.cost)"
    plans = plans_of(doc("@guide/a.md", f"python:{first}", f"python:{fragment}"), tmp_path)
    prelude = {item.name: item for item in plans[1].prelude}
    assert prelude["prompt"].code == 'prompt = "Extract the parties."'
    assert prelude["prompt"].origin == "page guide/a.md:5"
    assert prelude["pa"].code.endswith("pa = Pareta.from_env()")
    assert prelude["run"].code == "run = _spec.run('contract-key-fields')"
    assert plans[1].notes == []


def test_top_level_await_gets_the_async_client(tmp_path: Path) -> None:
    (plan,) = plans_of(doc("@guide/a.md", "python:print(await pa.models.list())"), tmp_path)
    assert plan.async_mode
    assert plan.prelude[-1].code.endswith("pa = AsyncPareta.from_env()")


def test_placeholders_are_replaced_and_recorded(tmp_path: Path) -> None:
    code = (
        'pa = Pareta(api_key="pareta_sk_...", base_url="https://api.pareta.ai")\n'
        'es = pa.evals.sets.create(task="contract-key-fields", items=[...])\n'
        'pa.evals.sets.upload_document("evset_123", "scans/one.pdf", idx=0)\n'
    )
    (plan,) = plans_of(doc("@guide/a.md", f"python:{code}"), tmp_path)
    assert f'api_key="{KEY_TOKEN}"' in plan.code
    assert f'base_url="{BASE_URL_TOKEN}"' in plan.code
    assert '"__SPEC_ID_0__"' in plan.code
    assert plan.setup_ids == [
        {
            "token": "__SPEC_ID_0__",
            "kind": "eval_set",
            "task": "contract-key-fields",
            "literal": "evset_123",
        }
    ]
    assert "items=[{" in plan.code
    assert plan.files == ["scans/one.pdf"]
    assert len(plan.substitutions) == 4


def test_as_written_keeps_the_example_ids(tmp_path: Path) -> None:
    text = doc("@reference/http-api.md", 'python:pa.evals.runs.retrieve("run_456")')
    blocks = extract_blocks(text)
    plan = plan_block(blocks[0], PageIndex(blocks), as_written=True)
    assert plan.code == blocks[0].source
    assert plan.prelude == []
    assert plan.setup_ids == []


def test_the_http_page_plans_its_curl_requests(tmp_path: Path) -> None:
    spec = tmp_path / "docs.md"
    curl = 'curl https://api.pareta.ai/v1/models -H "Authorization: Bearer $PARETA_API_KEY"'
    spec.write_text(
        doc("@guide/a.md", "bash:curl https://api.pareta.ai/v1/tasks", "@reference/http-api.md")
        + doc(f"bash:{curl}", "bash:export PARETA_API_KEY=x", "python:print(1)")
    )
    plans = plan_http(spec)
    assert [(p.block.language, p.runnable) for p in plans] == [
        ("bash", True),
        ("bash", False),
        ("python", True),
    ]
    assert plans[0].code.startswith(f"curl {BASE_URL_TOKEN}/v1/models")


def outcome(plan: Plan, status: str, detail: str = "") -> Outcome:
    result = Outcome.planned(plan)
    result.status, result.detail = status, detail
    return result


def test_the_verdict_holds_the_documentation_to_its_known_bugs(tmp_path: Path) -> None:
    (page, fragment), message = next(iter(KNOWN_SPEC_BUGS.items()))
    text = doc(f"@{page}", f"python:x = 1  # {fragment}", "python:y = 2")
    buggy, plain = plans_of(text, tmp_path)
    assert block_problem(buggy, outcome(buggy, "failed", f"ValueError: {message}")) is None
    assert "bug is fixed" in str(block_problem(buggy, outcome(buggy, "passed")))
    assert "expected to fail" in str(block_problem(buggy, outcome(buggy, "failed", "other")))
    assert block_problem(plain, outcome(plain, "passed")) is None
    assert block_problem(plain, outcome(plain, "failed", "boom")) == f"{plain.block.label}: boom"
    outcomes = [outcome(buggy, "failed", message), outcome(plain, "passed")]
    assert verdict([buggy, plain], outcomes, whole=False) == []
    whole = verdict([buggy, plain], outcomes, whole=True)
    assert any("fewer blocks ran" in problem for problem in whole)
    assert summarize(outcomes) == {
        "blocks": 2,
        "passed": 1,
        "failed": 1,
        "not runnable": 0,
        "runnable": 2,
    }


@pytest.mark.slow
def test_blocks_run_against_a_local_server(tmp_path: Path) -> None:
    fragment = "print(pa.tasks.retrieve(task).id)"
    text = doc("@guide/a.md", 'python:task = "pii-detection"', f"python:{fragment}")
    text += doc("python:raise SystemExit(3)")
    spec = tmp_path / "docs.md"
    spec.write_text(text)
    plans = plan_all(spec)
    outcomes = run(plans, spec, jobs=2, timeout=60)
    assert [o.status for o in outcomes] == ["passed", "passed", "failed"]
    assert outcomes[1].stdout == "pii-detection\n"
    assert outcomes[2].detail == "SystemExit: 3"


@pytest.mark.slow
def test_http_examples_each_run_on_a_fresh_server(tmp_path: Path) -> None:
    delete = 'with Pareta.from_env() as pa:\n    pa.endpoints.delete("ep_contract_kie")'
    spec = tmp_path / "docs.md"
    spec.write_text(
        doc(
            "@reference/http-api.md",
            f"python:from pareta import Pareta\n{delete}",
            f"python:from pareta import Pareta\n{delete}",
            f"bash:curl -s https://api.pareta.ai/v1/eval-runs/run_456 {AUTH}",
            f"bash:curl https://api.pareta.ai/v1/endpoints/ep_gone {AUTH}",
        )
    )
    outcomes = run_http(plan_http(spec), spec, timeout=60)
    assert [o.status for o in outcomes] == ["passed", "passed", "passed", "failed"]
    assert '"status":"completed"' in outcomes[2].stdout.replace(" ", "")
    assert "exit 22" in outcomes[3].detail
