"""The API fuzzed against its own OpenAPI schema: whatever arrives, no server error.

Small by default (CI time): a few examples per operation, with a valid key, so requests get
past authentication into the routes and the backend.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error

from tests.integration.api.conftest import HOTLINE, Api

pytestmark = pytest.mark.integration


FUZZ = hypothesis.settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
)


def test_no_request_makes_a_server_error(api: Api) -> None:
    schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json")
    headers = {"Authorization": f"Bearer {api.keys[HOTLINE]}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 6

    for operation in operations:

        @FUZZ
        @hypothesis.given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            case.call_and_validate(base_url=api.url, headers=headers, checks=[not_a_server_error])

        fuzz()
