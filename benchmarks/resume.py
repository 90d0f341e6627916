"""Resuming and reading a batch job of a million rows: how soon the first new request
leaves (from Python and from the command line), and what `pareta batch status` costs.

    python benchmarks/resume.py                  # 1M rows (a few minutes to write the files)
    python benchmarks/resume.py --rows 100000    # a quick look

It writes a JSONL input of N rows and, for each of the two callers, the results file a
finished job over them leaves (N answered rows, keyed by content, as the job keys them);
then appends 10 new rows to the input and runs the job again. The answers come from an
in-process ``httpx.MockTransport`` (Python) or a loopback HTTP server (the command line),
which note the moment the first request arrives. Status runs in its own process, so its
peak RSS is its own. Wall times on this shared machine are noisy: CPU times are printed
beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

HERE = Path(__file__).resolve().parent
METHOD = "chat.completions.create"
ENDPOINT = "ep_contract_kie"
NEW_ROWS = 10
ANSWER: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}],
    "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10},
}


def verdict(ok: bool, text: str) -> str:
    return f"{'PASS' if ok else 'FAIL'}  {text}"


def row(n: int) -> bytes:
    text = f"Row {n}: effective as of 2026-07-{n % 28 + 1:02d}."
    return json.dumps({"model": ENDPOINT, "messages": [{"role": "user", "content": text}]}).encode()


def write_input(path: Path, start: int, count: int) -> None:
    with path.open("ab") as file:
        for n in range(start, start + count):
            file.write(row(n) + b"\n")


def write_results(source: Path, out: Path, salt: str) -> None:
    """The file a finished job over ``source`` leaves: every row answered."""
    from pareta._batch.file import open_results, row_record
    from pareta._batch.keys import RowKeys, default_job

    opened = open_results(out, default_job(METHOD, out), METHOD)
    keys = RowKeys(opened.job, METHOD, None, salt)
    with source.open("rb") as file:
        for index, line in enumerate(file):
            row_key, key = keys.of_line(line.strip())
            opened.writer.write(row_record(key, row_key, index, 1, "req_1", ANSWER))
    opened.writer.close()


def python_child(source: str, out: str) -> None:
    """Prints the seconds from ``pa.batch(...)`` to the first request, and the CPU."""
    import anyio
    import httpx

    from pareta import AsyncPareta

    first: list[float] = []
    body = json.dumps(ANSWER).encode()

    def answer(request: httpx.Request) -> httpx.Response:
        first.append(time.perf_counter())
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    async def main() -> tuple[float, float, Any]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
        async with AsyncPareta(
            api_key="pareta_sk_bench", base_url="http://b.test", http_client=http
        ) as pa:
            cpu, started = time.process_time(), time.perf_counter()
            stats = await pa.batch(pa.chat.completions.create, source, output=out).wait()
        return first[0] - started, time.process_time() - cpu, stats

    seconds, cpu, stats = anyio.run(main)
    assert (stats.done, stats.failed) == (NEW_ROWS, 0), stats
    print(json.dumps({"first": seconds, "cpu": cpu, "skipped": stats.skipped}))


class _Answers(BaseHTTPRequestHandler):
    first: ClassVar[list[float]] = []
    body = json.dumps(ANSWER).encode()

    def do_POST(self) -> None:
        self.first.append(time.perf_counter())
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


def run_child(
    command: list[str], env: dict[str, str] | None = None
) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one child process, and its stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        if process.returncode not in (0, 1) or not out.tell():
            raise RuntimeError(f"{command} failed: {err.read().decode()}")
        out.seek(0)
        return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read().decode()


def main() -> None:
    if sys.argv[1:2] == ["_python"]:
        python_child(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.rows
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "rows.jsonl"
        python_out, cli_out = Path(folder) / "python.jsonl", Path(folder) / "cli.jsonl"
        write_input(source, 0, n)
        write_results(source, python_out, "")
        write_results(source, cli_out, json.dumps({"model": ENDPOINT}, sort_keys=True))
        write_input(source, n, NEW_ROWS)
        size = python_out.stat().st_size / 1e6
        print(f"resume: {n:,} rows done ({size:.0f} MB results file), {NEW_ROWS} new")
        # Status first, on a file no job has touched since it was written.
        verdicts = status(cli_out, source) + from_python(source, python_out, n)
        verdicts += from_the_command_line(source, cli_out)
    print("\n".join(verdicts))


def status(out: Path, source: Path) -> list[str]:
    verdicts = []
    for label, extra in (("status", []), ("status with the input", [str(source)])):
        command = [sys.executable, "-m", "pareta.cli", "batch", "status", str(out), *extra]
        wall, cpu, rss, _ = run_child([*command, "--json"])
        print(f"resume: `pareta batch {label}`: {wall:.2f} s ({cpu:.2f} s CPU), {rss:.0f} MB peak")
        verdicts.append(verdict(wall <= 5, f"{label} within 5 s ({wall:.2f} s)"))
        verdicts.append(verdict(rss <= 100, f"{label} within 100 MB ({rss:.0f} MB)"))
    return verdicts


def from_python(source: Path, out: Path, n: int) -> list[str]:
    child = [sys.executable, str(Path(__file__).resolve()), "_python", str(source), str(out)]
    done = json.loads(subprocess.run(child, capture_output=True, text=True, check=True).stdout)
    assert done["skipped"] == n, done
    first = done["first"]
    print(
        f"resume: Python, pa.batch(...) to the first new request: {first:.2f} s "
        f"({done['cpu']:.2f} s CPU for the whole job)"
    )
    return [verdict(first <= 2, f"Python: first new request within 2 s ({first:.2f} s)")]


def from_the_command_line(source: Path, out: Path) -> list[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "PARETA_API_KEY": "pareta_sk_bench",
        "PARETA_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}",
    }
    command = [sys.executable, "-m", "pareta.cli", "batch", ENDPOINT, str(source), "-o", str(out)]
    started = time.perf_counter()
    wall, cpu, rss, text = run_child(command, env)
    server.shutdown()
    first = _Answers.first[0] - started
    print(
        f"resume: `pareta batch` (a new process) to the first new request: {first:.2f} s; "
        f"the whole command {wall:.2f} s ({cpu:.2f} s CPU), {rss:.0f} MB peak"
    )
    print(f"resume: its summary: {' '.join(text.split())}")
    return [verdict(first <= 2, f"command line: first new request within 2 s ({first:.2f} s)")]


if __name__ == "__main__":
    main()
