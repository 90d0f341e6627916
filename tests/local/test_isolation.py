from __future__ import annotations

import httpx

from pareta.local import LocalServer

from .helpers import SEED_SET, create_eval_set, wait_for_run


def test_orgs_cannot_reach_each_other(server: LocalServer, client: httpx.Client) -> None:
    client.post("/v1/endpoints", json={"task": "contract-key-fields", "name": "mine"})
    doc_set = create_eval_set(client, "invoice-extraction", [{"expected": {"total": "1"}}])
    client.post(
        f"/v1/eval-sets/{doc_set['id']}/attach-blob",
        data={"idx": "0", "field_name": "document"},
        files={"file": ("a.txt", b"Total: $1.00")},
    )
    run_id = client.post(
        "/v1/eval-runs", json={"eval_set_id": doc_set["id"], "candidate_model_ids": ["llava-1"]}
    ).json()["run_id"]
    wait_for_run(client, run_id)

    other = {"Authorization": f"Bearer {server.mint_key()}"}
    with httpx.Client(base_url=server.base_url, headers=other) as intruder:
        assert "mine" not in {e["id"] for e in intruder.get("/v1/endpoints").json()}
        assert "mine" not in {m["id"] for m in intruder.get("/v1/models").json()["data"]}
        for method, path in [
            ("GET", "/v1/endpoints/mine"),
            ("POST", "/v1/endpoints/mine/stop"),
            ("DELETE", "/v1/endpoints/mine"),
            ("GET", "/v1/endpoints/mine/cost"),
            ("GET", f"/v1/eval-sets/{doc_set['id']}"),
            ("DELETE", f"/v1/eval-sets/{doc_set['id']}"),
            ("GET", f"/v1/eval-runs/{run_id}"),
        ]:
            assert intruder.request(method, path).status_code == 404, path
        assert [s["id"] for s in intruder.get("/v1/eval-sets").json()["eval_sets"]] == [SEED_SET]
        chat = {"model": "mine", "messages": [{"role": "user", "content": "x"}]}
        assert intruder.post("/v1/chat/completions", json=chat).status_code == 404
        run = {"eval_set_id": doc_set["id"], "candidate_model_ids": ["llava-1"]}
        assert intruder.post("/v1/eval-runs", json=run).status_code == 404
        blob = intruder.post(
            f"/v1/eval-sets/{doc_set['id']}/attach-blob",
            data={"idx": "0", "field_name": "document"},
            files={"file": ("b.txt", b"x")},
        )
        assert blob.status_code == 404
        url = intruder.post(
            f"/v1/eval-sets/{doc_set['id']}/blob-upload-url",
            json={"idx": 0, "field_name": "document"},
        )
        assert url.status_code == 404
        # Seeds are per-org copies: stopping mine leaves theirs live.
        client.post("/v1/endpoints/ep_contract_kie/stop")
        assert intruder.get("/v1/endpoints/ep_contract_kie").json()["status"] == "live"
    assert client.get("/v1/endpoints/mine").status_code == 200
