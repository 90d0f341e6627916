"""A hostile client against a real server process: every probe ends in its documented status.

The server runs as ``python -m pareta.local`` with small limits, so that its memory can
be read from /proc: while hundreds of MB are thrown at it, its peak RSS grows by less
than twice the largest body it accepts. A bystander org's requests keep answering
throughout, from a thread of their own.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

MiB = 1 << 20
MAX_UPLOAD = 8 * MiB
LARGEST_BODY = MAX_UPLOAD + MiB  # an eval-set upload and its multipart framing
SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")


@dataclass
class Served:
    process: subprocess.Popen[str]
    base_url: str
    key: str
    stderr: Path

    def memory_kb(self, field_name: str) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(rf"^{field_name}:\s+(\d+) kB", status, re.M)
        assert match, status
        return int(match.group(1))

    def reset_peak(self) -> None:
        """Start VmHWM afresh from the current RSS (Linux: 5 > clear_refs)."""
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key or self.key}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=60)


@dataclass
class Bystander:
    """Another org, asking for its tasks in a loop until told to stop."""

    served: Served
    statuses: list[int] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with self.served.client("pareta_sk_bystander") as client:
            while not self.stop.is_set():
                self.statuses.append(client.get("/v1/tasks").status_code)

    def check(self) -> None:
        """One more answer, now."""
        with self.served.client("pareta_sk_bystander") as client:
            assert client.get("/v1/models").status_code == 200


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    stderr = tmp_path_factory.mktemp("hostile") / "server.log"
    command = [
        sys.executable,
        "-m",
        "pareta.local",
        "--port=0",
        f"--max-upload-bytes={MAX_UPLOAD}",
        f"--max-chat-bytes={4 * MiB}",
        f"--max-json-bytes={256 << 10}",
        "--max-orgs=200",
        "--deploy-seconds=0",
        "--eval-seconds-per-item=0",
        "--log-level=warning",
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    with (
        stderr.open("w") as log,
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, env=env) as proc,
    ):
        try:
            assert proc.stdout is not None
            proc.stdout.readline()
            match = re.search(r"PARETA_BASE_URL=(\S+) PARETA_API_KEY=(\S+)", proc.stdout.readline())
            assert match
            running = Served(proc, match.group(1), match.group(2), stderr)
            for _ in range(1000):  # the URL is printed before uvicorn accepts
                try:
                    httpx.get(f"{running.base_url}/v1/tasks")
                    break
                except httpx.ConnectError:
                    continue
            yield running
        finally:
            proc.terminate()
            proc.wait(30)


def _chunks(total: int, piece: bytes = b" " * MiB) -> Iterator[bytes]:
    for _ in range(total // len(piece)):
        yield piece


def _eval_set(client: httpx.Client, task: str, rows: list[str]) -> str:
    items = "\n".join(rows).encode()
    response = client.post(
        "/v1/eval-sets", data={"task_id": task}, files={"items": ("i.jsonl", items)}
    )
    assert response.status_code == 200, response.text
    set_id: str = response.json()["eval_set"]["id"]
    return set_id


def _scoring_keeps_others_served(served: Served, bystander: Bystander) -> None:
    row = json.dumps({"input": "I love it, works great", "expected": "positive"})
    with served.client() as owner:
        set_id = _eval_set(owner, "sentiment-analysis", [row] * 20_000)
        body = {"eval_set_id": set_id, "candidate_model_ids": ["qwen-1", "gemma-1", "gpt-4o"]}
        run_id = owner.post("/v1/eval-runs", json=body).json()["run_id"]
        bystander.check()
        assert owner.get(f"/v1/eval-runs/{run_id}").json()["run"]["completed_at"] is None
        for _ in range(100_000):
            if owner.get(f"/v1/eval-runs/{run_id}").json()["run"]["status"] == "completed":
                break
        assert owner.get(f"/v1/eval-runs/{run_id}").json()["run"]["status"] == "completed"


def _bodies_past_their_limits(served: Served, bystander: Bystander) -> None:
    with served.client() as client:
        answer = client.post("/v1/tasks/match", content=_chunks(64 * MiB))
        assert answer.status_code == 413
        bystander.check()
        answer = client.post(
            "/v1/chat/completions",
            content=_chunks(64 * MiB),
            headers={"Idempotency-Key": "huge", "Content-Type": "application/json"},
        )
        assert answer.status_code == 413
        bystander.check()
        boundary = "hostile"

        def multipart() -> Iterator[bytes]:
            yield (
                f'--{boundary}\r\nContent-Disposition: form-data; name="task_id"\r\n\r\n'
                f"sentiment-analysis\r\n--{boundary}\r\nContent-Disposition: form-data; "
                'name="items"; filename="i.jsonl"\r\n\r\n'
            ).encode()
            yield from _chunks(100 * MiB, b'{"input": "x", "expected": "neutral"}\n' * 28_000)

        answer = client.post(
            "/v1/eval-sets",
            content=multipart(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert answer.status_code == 413
        bystander.check()
        set_id = _eval_set(client, "invoice-extraction", ['{"expected": {"total": "1"}}'])
        minted = client.post(
            f"/v1/eval-sets/{set_id}/blob-upload-url", json={"idx": 0, "field_name": "document"}
        ).json()
        assert httpx.put(minted["upload_url"], content=_chunks(20 * MiB)).status_code == 413
    # A declared length past the limit is refused before a byte of the body is read.
    url = urlsplit(served.base_url)
    with socket.create_connection((url.hostname, url.port or 80)) as raw:
        raw.sendall(
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: Bearer {served.key}\r\nContent-Length: {1 << 30}\r\n\r\n".encode()
        )
        assert raw.recv(4096).startswith(b"HTTP/1.1 413 ")
    bystander.check()


def _dropped_upload_retries(served: Served) -> None:
    with served.client() as client:
        set_id = _eval_set(client, "invoice-extraction", ['{"expected": {"total": "1"}}'])
        minted = client.post(
            f"/v1/eval-sets/{set_id}/blob-upload-url", json={"idx": 0, "field_name": "document"}
        ).json()
        url = urlsplit(minted["upload_url"])
        with socket.create_connection((url.hostname, url.port or 80)) as raw:
            raw.sendall(
                f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\n"
                "Content-Length: 1000\r\n\r\n%PDF-1.4 cut".encode()
            )
        retried = httpx.put(minted["upload_url"], content=b"%PDF-1.4 whole")
        assert retried.status_code == 200, retried.text
        body = {"idx": 0, "field_name": "document"}
        done = client.post(f"/v1/eval-sets/{set_id}/blob-upload-complete", json=body)
        assert done.json()["attached"] is True


def _bad_input_is_4xx(served: Served) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with served.client() as client:
        for path in ("/v1/chat/completions", "/v1/endpoints"):
            answer = client.post(
                path, content=b'{"model": ' + deep + b"}", headers={"Content-Type": "x/y"}
            )
            assert answer.status_code == 422, (path, answer.text)
        set_id = _eval_set(client, "invoice-extraction", ['{"expected": {"total": "1"}}'])
        answer = client.post(
            "/v1/eval-sets",
            data={"task_id": "sentiment-analysis"},
            files={"items": ("i.jsonl", b'{"expected": ' + deep[:2000] + b"}")},
        )
        assert answer.status_code == 422
        for idx in ("²", "9" * 5000):
            answer = client.post(
                f"/v1/eval-sets/{set_id}/attach-blob",
                data={"idx": idx, "field_name": "document"},
                files={"file": ("a.pdf", b"%PDF-1.4")},
            )
            assert answer.status_code in (400, 422), answer.text


def _faults_stay_in_their_org(served: Served, bystander: Bystander) -> None:
    with served.client("pareta_sk_made_up") as mallory:
        spec = {"spec": "* /v1/* status=500"}
        assert mallory.post("/admin/faults", json=spec).status_code == 200
        assert mallory.get("/v1/tasks").status_code == 500
        bystander.check()
        for raw in (b'{"path": "/v1/*", "latency": 1e9}', b'{"path": "/v1/*", "latency": NaN}'):
            answer = mallory.post(
                "/admin/faults", content=raw, headers={"Content-Type": "application/json"}
            )
            assert answer.status_code == 422
        wide = {"spec": "* /v1/* latency=300", "scope": "server"}
        assert mallory.post("/admin/faults", json=wide).status_code == 403
        listed = mallory.get("/admin/faults")

        def strict(name: str) -> object:
            raise AssertionError(name)

        assert len(json.loads(listed.content, parse_constant=strict)["faults"]) == 1
    with served.client() as operator:
        assert operator.delete("/admin/faults").json() == {"cleared": 0}  # not theirs to clear
        assert operator.get("/v1/tasks").status_code == 200


def _org_flood_is_bounded(served: Served) -> None:
    with served.client("pareta_sk_first_of_many") as first:
        assert first.put("/admin/balance", json={"balance_micro_usd": 123}).status_code == 200
    with httpx.Client(base_url=served.base_url) as flood:
        for i in range(600):
            headers = {"Authorization": f"Bearer pareta_sk_flood_{i}"}
            assert flood.get("/v1/models", headers=headers).status_code == 200
    with served.client("pareta_sk_first_of_many") as first:
        # Dropped as the oldest idle org: its key opened a fresh one.
        assert first.get("/admin/balance").json()["balance_micro_usd"] != 123
    with served.client() as operator:  # the server's own org is pinned
        assert operator.get("/admin/balance").status_code == 200


@pytest.mark.slow
def test_a_hostile_client_gets_documented_answers_and_cannot_exhaust_the_server(
    served: Served,
) -> None:
    bystander = Bystander(served)
    thread = threading.Thread(target=bystander.run, daemon=True)
    thread.start()
    try:
        _scoring_keeps_others_served(served, bystander)
        served.reset_peak()
        baseline = served.memory_kb("VmHWM")
        _bodies_past_their_limits(served, bystander)
        _dropped_upload_retries(served)
        _bad_input_is_4xx(served)
        _faults_stay_in_their_org(served, bystander)
        _org_flood_is_bounded(served)
        peak = served.memory_kb("VmHWM")
    finally:
        bystander.stop.set()
        thread.join(60)
    growth = (peak - baseline) * 1024
    assert growth < 2 * LARGEST_BODY, f"peak RSS grew by {growth / MiB:.1f} MiB"
    assert bystander.statuses
    assert set(bystander.statuses) == {200}
    log = served.stderr.read_text()
    assert "Traceback" not in log, log
