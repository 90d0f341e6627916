from __future__ import annotations

import socket
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from pareta.local import LocalServer

from .helpers import create_eval_set, wait_for_run

INVOICE = (
    b"%PDF-1.4\nBT (Katana ML) Tj ET\nBT (Invoice No: INV-4471) Tj ET\n"
    b"BT (Total due: $1,284.50) Tj ET"
)
ROWS = [
    {"document": None, "expected": {"total": "1284.50", "vendor": "Katana ML"}},
    {"document": None, "expected": {"total": "89.50", "vendor": "Acme"}},
]


@pytest.fixture
def eval_set(client: httpx.Client) -> dict[str, Any]:
    return create_eval_set(client, "invoice-extraction", ROWS)


def _upload_url(client: httpx.Client, set_id: str, idx: int = 0, **extra: Any) -> str:
    body = {"idx": idx, "field_name": "document", "mime": "application/pdf", **extra}
    response = client.post(f"/v1/eval-sets/{set_id}/blob-upload-url", json=body)
    assert response.status_code == 200, response.text
    minted = response.json()
    assert minted["method"] == "PUT"
    assert minted["upload_id"].startswith("upl_")
    url: str = minted["upload_url"]
    return url


def _complete(client: httpx.Client, set_id: str, idx: int = 0) -> httpx.Response:
    body = {"idx": idx, "field_name": "document"}
    return client.post(f"/v1/eval-sets/{set_id}/blob-upload-complete", json=body)


def test_signed_upload_flow(client: httpx.Client, eval_set: dict[str, Any]) -> None:
    url = _upload_url(client, eval_set["id"])
    assert "token=" in url
    assert url.startswith("http://127.0.0.1")
    put = httpx.put(url, content=INVOICE)  # no API key: the token alone authorises it
    assert put.status_code == 200
    assert put.json()["size"] == len(INVOICE)
    done = _complete(client, eval_set["id"])
    assert done.status_code == 200
    assert done.json()["attached"] is True
    assert done.json()["mime"] == "application/pdf"
    assert client.get(f"/v1/eval-sets/{eval_set['id']}").json()["eval_set"]["blobs_attached"] == 1


def test_tampered_token_is_rejected(client: httpx.Client, eval_set: dict[str, Any]) -> None:
    url = _upload_url(client, eval_set["id"])
    token = parse_qs(urlsplit(url).query)["token"][0]
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    assert httpx.put(url.replace(token, flipped), content=b"x").status_code == 403
    payload, sig = token.split(".")
    assert (
        httpx.put(url.replace(token, payload[:-2] + "xx." + sig), content=b"x").status_code == 403
    )
    assert httpx.put(url.split("?")[0], content=b"x").status_code == 422


def test_token_is_single_use(client: httpx.Client, eval_set: dict[str, Any]) -> None:
    url = _upload_url(client, eval_set["id"])
    assert httpx.put(url, content=INVOICE).status_code == 200
    reused = httpx.put(url, content=INVOICE)
    assert reused.status_code == 403
    assert "already used" in reused.json()["detail"]


def test_token_is_scoped_to_set_row_and_field(
    client: httpx.Client, eval_set: dict[str, Any]
) -> None:
    other = create_eval_set(client, "invoice-extraction", ROWS)
    url = _upload_url(client, eval_set["id"], idx=0)
    for wrong in (
        url.replace(eval_set["id"], other["id"]),
        url.replace("/rows/0/", "/rows/1/"),
        url.replace("/document?", "/image?"),
    ):
        assert httpx.put(wrong, content=b"x").status_code == 403, wrong
    assert httpx.put(url, content=INVOICE).status_code == 200
    assert _complete(client, other["id"]).status_code == 404  # staged on its own set only
    assert _complete(client, eval_set["id"], idx=1).status_code == 404
    assert _complete(client, eval_set["id"], idx=0).status_code == 200


def test_expired_token_is_rejected() -> None:
    with LocalServer(upload_url_ttl=0) as server:
        headers = {"Authorization": f"Bearer {server.api_key}"}
        with httpx.Client(base_url=server.base_url, headers=headers) as c:
            es = create_eval_set(c, "invoice-extraction", ROWS)
            url = _upload_url(c, es["id"])
            expired = httpx.put(url, content=INVOICE)
            assert expired.status_code == 403
            assert "expired" in expired.json()["detail"]


def test_upload_validation(client: httpx.Client, eval_set: dict[str, Any]) -> None:
    base = f"/v1/eval-sets/{eval_set['id']}/blob-upload-url"
    assert client.post(base, json={"idx": 5, "field_name": "document"}).status_code == 422
    assert client.post(base, json={"idx": 0, "field_name": "../x"}).status_code == 422
    text_set = create_eval_set(
        client, "sentiment-analysis", [{"input": "a", "expected": "neutral"}]
    )
    url = f"/v1/eval-sets/{text_set['id']}/blob-upload-url"
    assert client.post(url, json={"idx": 0, "field_name": "document"}).status_code == 422


def test_inline_attach_then_eval_reads_the_document(
    client: httpx.Client, eval_set: dict[str, Any]
) -> None:
    attached = client.post(
        f"/v1/eval-sets/{eval_set['id']}/attach-blob",
        data={"idx": "0", "field_name": "document", "mime": "application/pdf"},
        files={"file": ("katana.pdf", INVOICE, "application/pdf")},
    )
    assert attached.status_code == 200
    assert attached.json()["size"] == len(INVOICE)
    run_id = client.post(
        "/v1/eval-runs",
        json={"eval_set_id": eval_set["id"], "candidate_model_ids": ["qwen2.5-vl-1", "o3-mini"]},
    ).json()["run_id"]
    results = {r["model_id"]: r for r in wait_for_run(client, run_id)["results"]}
    vision = results["qwen2.5-vl-1"]
    assert vision["n_succeeded"] == 1
    assert vision["error_count"] == 1
    assert vision["quality_mean"] > 0
    text_only = results["o3-mini"]  # cannot read documents at all
    assert text_only["n_succeeded"] == 0
    assert text_only["error_count"] == 2
    assert text_only["quality_mean"] is None


def test_upload_to_a_deleted_eval_set_is_404(
    client: httpx.Client, eval_set: dict[str, Any]
) -> None:
    url = _upload_url(client, eval_set["id"])
    assert client.delete(f"/v1/eval-sets/{eval_set['id']}").status_code == 200
    put = httpx.put(url, content=INVOICE)
    assert put.status_code == 404
    assert put.json() == {"detail": f"Eval set {eval_set['id']!r} not found"}


def test_a_put_dropped_mid_body_leaves_the_token_for_the_retry(
    server: LocalServer,
    client: httpx.Client,
    eval_set: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = urlsplit(_upload_url(client, eval_set["id"]))
    verified = threading.Event()
    verify = server.state.signer.verify

    def noting_verify(*args: Any) -> Any:
        claims = verify(*args)
        verified.set()
        return claims

    monkeypatch.setattr(server.state.signer, "verify", noting_verify)
    with socket.create_connection((url.hostname, url.port or 80)) as raw:
        head = (
            f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Content-Length: {len(INVOICE)}\r\n\r\n"
        )
        raw.sendall(head.encode() + INVOICE[:20])
        assert verified.wait(10)  # the server holds the token and is reading the body
    # The connection is gone mid-body; the same URL still works.
    retried = httpx.put(f"{url.scheme}://{url.netloc}{url.path}?{url.query}", content=INVOICE)
    assert retried.status_code == 200, retried.text
    assert _complete(client, eval_set["id"]).json()["size"] == len(INVOICE)


def test_of_two_puts_racing_on_one_token_the_second_to_finish_is_refused(
    server: LocalServer,
    client: httpx.Client,
    eval_set: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = _upload_url(client, eval_set["id"])
    verify = server.state.signer.verify

    def verify_then_lose_the_race(*args: Any) -> Any:
        claims = verify(*args)
        server.state.signer.spend(claims)  # another PUT with this token finished first
        return claims

    monkeypatch.setattr(server.state.signer, "verify", verify_then_lose_the_race)
    late = httpx.put(url, content=INVOICE)
    assert late.status_code == 403
    assert "already used" in late.json()["detail"]
