"""Fuzz the whole HTTP API from its own OpenAPI schema: no input produces a 5xx.

Runs in-process against the ASGI app, on SQLite and PostgreSQL (PostgreSQL refuses
NUL bytes and out-of-range integers, so it finds more). Requests carry a lead's token
(most review permissions) or an admin's (user management).
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from tests.review_support import ReviewAppEnv

MAX_EXAMPLES = 25


def _fuzz(operation: Any, headers: dict[str, str], failures: list[str]) -> None:
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=operation.as_strategy(schemathesis.GenerationMode.POSITIVE)
        | operation.as_strategy(schemathesis.GenerationMode.NEGATIVE)
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} → {response.status_code}: "
                f"{response.text[:200]}"
            )
        assert response.status_code < 500

    run()


@pytest.mark.slow
def test_no_request_from_the_schema_causes_a_server_error(review_app: ReviewAppEnv) -> None:
    for _ in range(3):
        review_app.open_case()
    review_app.open_case(amount=900_000)
    schema = schemathesis.openapi.from_asgi("/openapi.json", review_app.app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        user = "ada" if operation.path.startswith("/v1/access") else "lea"
        with contextlib.suppress(AssertionError):  # collected in failures, reported below
            _fuzz(operation, review_app.auth(user), failures)
    assert operations >= 15
    assert not failures, "\n".join(failures)
    with review_app.database.transaction() as session:
        assert review_app.service.audit.verify(session).ok
