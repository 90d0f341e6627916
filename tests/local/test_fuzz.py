"""An API fuzz of the local server from its own OpenAPI schema: no 500s, schema-true answers.

Routes that take free-form bodies (chat completions pass OpenAI fields through, deploys
pass extra fields through) validate more than their schema can say, so the check that
every schema-valid request is accepted is left out; every answer must still match it.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pareta.local import ServerState, create_app

APP = create_app(ServerState())
KEY = "pareta_sk_fuzz_0000"
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_local_api_never_fails_and_answers_its_schema(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {KEY}"}, checks=CHECKS)
