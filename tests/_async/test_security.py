"""Money is charged once and the key goes nowhere it should not."""

from __future__ import annotations

import httpx
import pytest

from pareta import APIStatusError, AsyncPareta, ChatCompletion, ParetaError
from pareta.local import LocalServer
from tests.helpers import API_KEY, BASE_URL, Recorder, json_response, transport

pytestmark = pytest.mark.anyio
MESSAGES = [{"role": "user", "content": "Effective as of 2026-04-01."}]


class LosesFirstAnswer(httpx.AsyncHTTPTransport):
    """Reads the first answer in full (so the server has billed it), then fails as if the
    connection dropped before the client saw it."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if self.lost == 0 and request.method == "POST":
            self.lost += 1
            await response.aread()
            await response.aclose()
            raise httpx.ReadError("connection dropped after the answer", request=request)
        return response


async def test_a_post_retried_after_a_lost_answer_is_billed_once(
    local: LocalServer, key: str, backoff_delays: list[float]
) -> None:
    lossy = LosesFirstAnswer()
    async with httpx.AsyncClient(transport=lossy) as http:
        pa = AsyncPareta(api_key=key, base_url=local.base_url, http_client=http)
        completion = await pa.chat.completions.create(model="ep_contract_kie", messages=MESSAGES)
        await pa.chat.completions.create(model="ep_contract_kie", messages=MESSAGES)
    assert lossy.lost == 1
    assert isinstance(completion, ChatCompletion)
    debits = [e for e in local.ledger(key) if e["kind"] == "chat.completion"]
    assert len(debits) == 2  # the lost-and-retried call once, the second call once
    assert len({e["idempotency_key"] for e in debits}) == 2


async def test_key_is_not_sent_across_origins_on_redirect() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.test":
            return httpx.Response(307, headers={"location": "https://elsewhere.test/v1/models"})
        return json_response(200, {"data": []})

    recorder = Recorder(answer)
    following = httpx.AsyncClient(transport=transport(recorder), follow_redirects=True)
    async with following:
        await AsyncPareta(api_key=API_KEY, base_url=BASE_URL, http_client=following).models.list()
    assert [r.url.host for r in recorder.requests] == ["api.test", "elsewhere.test"]
    assert "authorization" not in recorder.requests[1].headers
    recorder.requests.clear()
    strict = AsyncPareta(
        api_key=API_KEY,
        base_url=BASE_URL,
        http_client=httpx.AsyncClient(transport=transport(recorder)),
    )
    with pytest.raises(APIStatusError) as info:
        await strict.models.list()
    assert info.value.status_code == 307
    assert [r.url.host for r in recorder.requests] == ["api.test"]


async def test_key_never_appears_in_error_messages(backoff_delays: list[float]) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("models"):
            raise httpx.ConnectError(f"refused {request.headers}", request=request)
        return json_response(401, {"detail": "invalid key"})

    client = AsyncPareta(
        api_key=API_KEY,
        base_url=BASE_URL,
        http_client=httpx.AsyncClient(transport=transport(Recorder(fail))),
    )
    errors: list[ParetaError] = []
    for call in (client.models.list, client.tasks.list):
        try:
            await call()
        except ParetaError as exc:
            errors.append(exc)
    assert len(errors) == 2
    for error in errors:
        assert API_KEY not in str(error)
        assert API_KEY not in repr(error)
