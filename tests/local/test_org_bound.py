"""Orgs opened on the fly are bounded: past the bound, the oldest idle one is dropped."""

from __future__ import annotations

import anyio
import httpx
import pytest
from starlette.requests import Request

from pareta.local import LocalServer
from pareta.local.app import _account_closed
from pareta.local.metering import AccountClosed, Hold


def _get(server: LocalServer, key: str, path: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}{path}", headers={"Authorization": f"Bearer {key}"})


@pytest.mark.slow
def test_made_up_keys_cannot_grow_the_orgs_without_end() -> None:
    with LocalServer(max_orgs=5) as server:
        kept = "pareta_sk_kept"
        _get(server, kept, "/v1/models")
        for i in range(40):
            assert _get(server, f"pareta_sk_random_{i}", "/v1/models").status_code == 200
            if i % 3 == 0:  # the kept org stays busy, so it is never the oldest idle one
                _get(server, kept, "/v1/models")
        orgs = server.state.orgs()
        assert len(orgs) == 5
        keys = {org.api_key for org in orgs}
        assert server.api_key in keys  # the server's own org is pinned
        assert kept in keys
        assert "pareta_sk_random_0" not in keys
        # A dropped org's key opens a fresh org, with the starting balance and nothing else.
        assert _get(server, "pareta_sk_random_0", "/admin/balance").status_code == 200
        assert len(server.state.orgs()) == 5


def test_a_dropped_org_leaves_nothing_behind() -> None:
    with LocalServer(max_orgs=2) as server:
        key = server.mint_key()
        org = server.state.org(key)
        server.inject_fault("GET /v1/tasks status=500", api_key=key)
        headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "k"}
        body = {"query": "extract fields from contracts"}
        url = f"{server.base_url}/v1/tasks/match"
        assert httpx.post(url, json=body, headers=headers).status_code == 200
        assert server.state.idempotency.count(key) == 1
        server.mint_key()  # a third org: the idle one goes
        assert server.state.org_by_id(org.id) is None
        assert server.state.idempotency.count(key) == 0
        assert server.faults() == []
        assert server.balance(api_key=key) == server.state.config.balance


def test_a_dropped_orgs_account_is_never_reopened_and_its_request_is_409() -> None:
    with LocalServer(max_orgs=2) as server:
        key = server.mint_key()
        org = server.state.org(key)
        server.mint_key()  # a third org: the idle one goes
        meter = server.state.meter
        # What a route still holding the dropped org meets: no account, and none made.
        with pytest.raises(AccountClosed):
            meter.require_credit(org.id)
        hold = Hold(org.id, 5, "chat.completion", {})
        meter.commit(hold, None, None)  # a charge landing late bills nobody
        with pytest.raises(AccountClosed):
            meter.balance(org.id)
        request = Request({"type": "http", "headers": []})
        answer = anyio.run(_account_closed, request, AccountClosed(org.id))
        assert answer.status_code == 409
        assert b"--max-orgs" in answer.body
