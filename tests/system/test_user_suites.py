"""Users' own test suites pass under ``-W error`` without any warning filter of ours."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SUITES = Path(__file__).resolve().parents[1] / "user_suites"


def run_user_suite(name: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    suite = tmp_path / f"test_{name}.py"
    suite.write_text((SUITES / f"{name}.py").read_text())
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # the user's config, not ours
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-W", "error", "-p", "no:cacheprovider", suite],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_a_trio_suite_that_streams_passes_with_warnings_as_errors(tmp_path: Path) -> None:
    result = run_user_suite("trio_streams", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout
