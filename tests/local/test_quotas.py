"""Per-org quotas: stored bytes, endpoints and faults end in a 4xx naming the option."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from pareta.local import LocalServer
from pareta.local.faults import Fault

KiB = 1024
ROW = {"document": None, "expected": {"total": "1.00"}, "note": "x" * 900}


@pytest.fixture(scope="module")
def small() -> Iterator[LocalServer]:
    options = {"max_stored_bytes": 64 * KiB, "max_endpoints": 2, "max_faults_per_org": 3}
    with LocalServer(deploy_seconds=0, **options) as server:
        yield server


@pytest.fixture
def org(small: LocalServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {small.mint_key()}"}
    with httpx.Client(base_url=small.base_url, headers=headers, timeout=10) as client:
        yield client


def _eval_set(client: httpx.Client, rows: int) -> httpx.Response:
    jsonl = "\n".join(json.dumps(ROW) for _ in range(rows)).encode()
    files = {"items": ("items.jsonl", jsonl)}
    return client.post("/v1/eval-sets", data={"task_id": "invoice-extraction"}, files=files)


def _refused(response: httpx.Response, status: int, option: str) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert option in detail
    assert f"--{option.replace('_', '-')}" in detail


def test_eval_sets_stop_at_the_storage_quota_and_deleting_frees_it(org: httpx.Client) -> None:
    made = []
    for _ in range(100):
        response = _eval_set(org, 10)
        if response.status_code != 200:
            break
        made.append(response.json()["eval_set"]["id"])
    _refused(response, 413, "max_stored_bytes")
    assert 3 <= len(made) < 10
    assert org.delete(f"/v1/eval-sets/{made[0]}").status_code == 200
    assert _eval_set(org, 10).status_code == 200


def test_documents_count_against_the_storage_quota(org: httpx.Client) -> None:
    set_id = _eval_set(org, 2).json()["eval_set"]["id"]
    base = f"/v1/eval-sets/{set_id}"
    document = {"idx": "0", "field_name": "document"}
    inline = org.post(f"{base}/attach-blob", data=document, files={"file": b"%" * (70 * KiB)})
    _refused(inline, 413, "max_stored_bytes")
    # Replacing a document counts only the difference.
    for _ in range(3):
        small_doc = org.post(f"{base}/attach-blob", data=document, files={"file": b"%" * 30 * KiB})
        assert small_doc.status_code == 200
    minted = org.post(f"{base}/blob-upload-url", json={"idx": 1, "field_name": "document"})
    put = httpx.put(minted.json()["upload_url"], content=b"%" * (40 * KiB))
    _refused(put, 413, "max_stored_bytes")


def test_endpoints_stop_at_the_quota(org: httpx.Client) -> None:
    body = {"task": "contract-key-fields", "model": "recommended"}
    for _ in range(2):
        assert org.post("/v1/endpoints", json=body).status_code == 200
    _refused(org.post("/v1/endpoints", json=body), 409, "max_endpoints")
    # Seed endpoints never count, and a deleted endpoint frees its place.
    created = [e["id"] for e in org.get("/v1/endpoints").json() if not e["seed"]]
    created = [
        e for e in created if e.startswith("ep_") and e not in ("ep_contract_kie", "ep_a1b2c3")
    ]
    assert org.delete(f"/v1/endpoints/{created[0]}").status_code == 200
    assert org.post("/v1/endpoints", json=body).status_code == 200


def test_faults_stop_at_the_quota(org: httpx.Client) -> None:
    for _ in range(3):
        assert org.post("/admin/faults", json={"spec": "GET /v1/x status=500"}).is_success
    _refused(
        org.post("/admin/faults", json={"spec": "GET /v1/x status=500"}), 409, "max_faults_per_org"
    )


@pytest.mark.slow
def test_a_fault_lookup_reads_only_the_requests_own_org(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    injector = server.state.faults
    for org in range(1_000):
        for _ in range(100):
            injector.add(Fault(path="/v1/tasks", status=500, org_id=f"org_other_{org}"))
    checked = []
    original = Fault.matches

    def counted(self: Fault, method: str, path: str) -> bool:
        checked.append(self.id)
        return original(self, method, path)

    monkeypatch.setattr(Fault, "matches", counted)
    mine = Fault(path="/v1/nothing", status=500, org_id="org_mine")
    injector.add(mine)
    assert injector.pick("GET", "/v1/tasks", "org_mine") is None
    assert checked == [mine.id]
    assert server.faults() and len(server.faults()) == 100_001
