"""A client refuses to be pickled, on purpose, and says what to do instead."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import cloudpickle
import pytest

from pareta import AsyncPareta
from tests.helpers import API_KEY

pytestmark = pytest.mark.anyio

DUMPS: list[Callable[[object], bytes]] = [pickle.dumps, cloudpickle.dumps]


@pytest.mark.parametrize("dumps", DUMPS, ids=["pickle", "cloudpickle"])
async def test_a_client_cannot_be_pickled_and_says_why(dumps: Callable[[object], bytes]) -> None:
    async with AsyncPareta(api_key=API_KEY) as client:
        with pytest.raises(TypeError) as info:
            dumps(client)
    message, name = str(info.value), AsyncPareta.__name__
    assert message.startswith(f"a {name} client cannot be pickled")
    assert "create one client per worker/process; pass configuration, not clients" in (
        message.lower()
    )
    assert "PARETA_API_KEY" in message


async def test_a_function_that_captures_a_client_fails_the_same_way() -> None:
    # What Ray and Dask do with a task: cloudpickle it, with what it closes over.
    async with AsyncPareta(api_key=API_KEY) as client:

        async def task(prompt: str) -> object:
            return await client.chat.completions.create(
                model="ep_1", messages=[{"role": "user", "content": prompt}]
            )

        with pytest.raises(TypeError, match="pass configuration, not clients"):
            cloudpickle.dumps(task)


@pytest.mark.parametrize("dumps", DUMPS, ids=["pickle", "cloudpickle"])
async def test_a_bound_method_cannot_be_pickled_either(dumps: Callable[[object], bytes]) -> None:
    async with AsyncPareta(api_key=API_KEY) as client:
        with pytest.raises(TypeError, match="client cannot be pickled") as info:
            dumps(client.chat.completions.create)
    name = AsyncPareta.__name__
    assert f"a {name} client" in str(info.value)
