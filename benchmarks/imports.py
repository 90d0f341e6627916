"""Import time: wall time of ``import X`` in a fresh interpreter, and what pareta adds.

Each run is a new process that times only the import statement (interpreter start-up
is excluded). Runs alternate between modules so a noisy neighbour hits all of them.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from procs import Pinning, pinned_command

TIMER = "import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"


def _run(statement: str, pinning: Pinning) -> float | None:
    command = pinned_command([sys.executable, "-c", TIMER.format(statement=statement)], pinning)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return None
    return float(done.stdout.strip().splitlines()[-1])


def time_imports(
    imports: tuple[tuple[str, str], ...], runs: int, pinning: Pinning
) -> dict[str, list[float]]:
    """Seconds per run for each importable module (unimportable ones are left out)."""
    available = [(label, stmt) for label, stmt in imports if _run(stmt, pinning) is not None]
    times: dict[str, list[float]] = {label: [] for label, _ in available}
    for _ in range(runs):
        for label, statement in available:
            seconds = _run(statement, pinning)
            if seconds is not None:
                times[label].append(seconds)
    return times


def _importtime(statement: str) -> dict[str, int]:
    """Self time in µs of every module ``statement`` imports, from ``-X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=False,
    )
    modules: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = line.removeprefix("import time:").split("|", 2)
        modules[name.strip()] = int(self_us)
    return modules


def pareta_extras(top: int = 8) -> dict[str, Any]:
    """The modules ``import pareta`` loads beyond ``import httpx``, slowest first.

    One ``-X importtime`` run each: indicative, not a measurement.
    """
    baseline = _importtime("import httpx")
    pareta = _importtime("import pareta")
    extras = {name: us for name, us in pareta.items() if name not in baseline}
    ranked = sorted(extras.items(), key=lambda item: item[1], reverse=True)
    return {
        "modules": len(extras),
        "self_us_total": sum(extras.values()),
        "top": [{"module": name, "self_us": us} for name, us in ranked[:top]],
    }
