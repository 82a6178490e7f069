"""Fuzz every operation of the full HTTP app from its own OpenAPI schema: no 5xx, ever.

The app is the one `riskstream serve` runs (scoring, review queue, lists, access,
monitoring, the dispute webhook), in-process over ASGI with its lifespan (Redis and the
broker of the embedded stack), on PostgreSQL: it refuses NUL bytes and out-of-range
integers that SQLite stores, so it finds more. Each request carries a token of the role
its path needs: the payment pipeline's service token for ``/v1/score``, an admin's for
``/v1/access``, a lead's (who works cases and changes lists) for the rest. The budget is
fixed and the generation derandomized, so a run is repeatable.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from schemathesis.core.result import Ok
from schemathesis.python.asgi import shutdown_lifespans

from access import RateLimit
from access.ratelimit import TokenBucketLimiter
from contracts import Settings, load_settings
from review_queue import QueueFilter
from riskstream.http import create_http_app
from riskstream.stack import EmbeddedStack
from tests.dispute_support import WEBHOOK_PATH, WEBHOOK_SECRET, stripe_signature
from tests.factories import event_dict
from tests.review_support import PostgresSchema, make_decision
from tests.streams import create_topics

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MAX_EXAMPLES = 150  # per operation, positive and negative together
WEBHOOK_EXAMPLES = 150
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    schema = PostgresSchema()
    try:
        yield schema.create()
    finally:
        schema.drop()


@pytest.fixture
def full_app(
    stack: EmbeddedStack, model_home: Path, tmp_path: Path, postgres_url: str
) -> Iterator[Any]:
    """The full app on the embedded stack and PostgreSQL, with a user per role (USERS)."""
    home = tmp_path / "home"
    shutil.copytree(model_home, home)
    unique = uuid.uuid4().hex[:8]
    app_settings: Settings = load_settings(
        data_dir=home,
        environment="test",
        kafka_bootstrap=stack.kafka_bootstrap,
        redis_url=stack.redis_url,
        topic_prefix=f"t{unique}.",
        redis_namespace=f"t{unique}",
        database_url=postgres_url,
        webhook_secret=WEBHOOK_SECRET,
        session_secret="test-session-secret-0123456789abcdef",
    )
    asyncio.run(create_topics(app_settings))
    app = create_http_app(app_settings, review_workers=False, monitoring_workers=False)
    access = app.state.riskstream_access
    # Production limits (20 requests/s per client) would answer most of the budget with
    # 429; the limiter has its own tests.
    access.api_limiter = TokenBucketLimiter(RateLimit(rate_per_s=10_000.0, burst=100_000))
    access.anonymous_limiter = TokenBucketLimiter(RateLimit(rate_per_s=10_000.0, burst=100_000))
    # Users and tokens the fuzz may demote, disable or revoke; never its own.
    targets = [f"target-{n}" for n in range(3)]
    target_tokens = []
    for username in targets:
        access.directory.create_user(username, "analyst")
        target_tokens.append(access.directory.create_token(username, "fuzz").info.id)
    for username, role in (("pipeline", "service"), ("lea", "lead"), ("ada", "admin")):
        access.directory.create_user(username, role)
    service = app.state.riskstream_reviews.service
    service.ingest([make_decision() for _ in range(3)] + [make_decision(amount=900_000)])
    cases = service.queue(QueueFilter(status="all", limit=10), actor="fuzz").items
    app.state.fuzz_seeds = {
        "case_id": [c.id for c in cases],
        "list_name": ["block_card", "allow_card", "block_email", "block_device"],
        "username": targets,
        "token_id": target_tokens,
    }
    try:
        yield app
    finally:
        shutdown_lifespans()  # schemathesis started the app's lifespan: close Redis, Kafka


USERS = {"service": "pipeline", "lead": "lea", "admin": "ada"}


def role_for(path: str) -> str | None:
    """The role whose token a path needs (access/roles.py); None: no token at all."""
    if path == "/v1/score":
        return "service"
    if path.startswith("/v1/access"):
        return "admin"  # users.manage
    if path == WEBHOOK_PATH:
        return None  # the processor signs its requests instead
    return "lead"  # reviews.work and lists.write


def _fuzz(
    operation: Any,
    headers: dict[str, str],
    seeds: dict[str, list[Any]],
    statuses: list[int],
    failures: list[str],
) -> None:
    """Positive and negative cases; about half of them with a path parameter that names
    something that exists (a seeded case, a list the rules read), so the fuzz reaches
    the workflow and not only the 404 path."""

    @FUZZ_SETTINGS
    @given(
        case=operation.as_strategy(schemathesis.GenerationMode.POSITIVE)
        | operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
        seed=st.sampled_from([None, *range(8)]),
    )
    def run(case: schemathesis.Case[Any], seed: int | None) -> None:
        for name, values in seeds.items():
            if seed is not None and name in (case.path_parameters or {}):
                case.path_parameters[name] = values[seed % len(values)]
        if seed in (0, 1) and operation.path == "/v1/score":
            # the generator rarely meets the boundary policy: some valid events too
            case.body, case.media_type = event_dict(), "application/json"
        response = case.call(headers=headers)
        statuses.append(response.status_code)
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} → {response.status_code}: "
                f"{response.text[:300]}"
            )
        assert response.status_code < 500

    run()


def test_no_request_from_the_schema_causes_a_server_error(full_app: Any) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", full_app)
    documented = {
        (method.upper(), path)
        for path, item in full_app.openapi()["paths"].items()
        for method in item
    }
    directory = full_app.state.riskstream_access.directory
    seeds: dict[str, list[Any]] = full_app.state.fuzz_seeds
    statuses: dict[tuple[str, str], list[int]] = defaultdict(list)
    failures: list[str] = []
    started = time.monotonic()
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the app's own schema always loads
        operation = result.ok()
        key = (operation.method.upper(), operation.path)
        role = role_for(operation.path)
        # A fresh token per operation: one that revokes a token (by a lucky id) locks
        # out at most itself, never the operations after it.
        headers = (
            {"Authorization": f"Bearer {directory.create_token(USERS[role]).token}"} if role else {}
        )
        with contextlib.suppress(AssertionError):  # collected in failures, reported below
            _fuzz(operation, headers, seeds, statuses[key], failures)
    elapsed = time.monotonic() - started
    assert not failures, "\n".join(dict.fromkeys(failures))
    covered = set(statuses)
    assert covered == documented
    assert len(covered) >= 22  # access 7, score 1, reviews 9, lists 4, webhook 1
    assert ("POST", "/v1/score") in covered
    assert 200 in statuses[("POST", "/v1/score")]  # scored for real, not only refused
    assert {path for _, path in covered} >= {p for p in full_app.openapi()["paths"]}
    # The tokens fit: every operation but the signed webhook let some requests through
    # access control, so the fuzz reached the handlers and not only the 401/403 wall.
    walled = sorted(
        f"{m} {p}" for (m, p), codes in statuses.items()
        if p != WEBHOOK_PATH and set(codes) <= {401, 403}
    )  # fmt: skip
    assert not walled, walled
    assert sum(len(c) for c in statuses.values()) >= len(covered) * MAX_EXAMPLES // 2, elapsed


# -- the webhook's signed side ---------------------------------------------------------

_SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)  # longer ones would mostly look like card numbers
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
)
_JSON = st.recursive(
    _SCALAR,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
_ID = st.from_regex(r"\A(pi|ch|dp|re|issfr|evt)_[A-Za-z]{1,20}\Z") | _JSON
_EVENT_TYPES = st.sampled_from(
    [
        "charge.dispute.created",
        "charge.dispute.closed",
        "radar.early_fraud_warning.created",
        "refund.created",
        "charge.refunded",
        "customer.created",
    ]
)
_OBJECT = st.fixed_dictionaries(
    {},
    optional={
        "id": _ID,
        "payment_intent": _ID,
        "charge": _ID,
        "reason": st.text(max_size=20) | _JSON,
        "fraud_type": st.text(max_size=20) | _JSON,
        "status": st.text(max_size=20) | _JSON,
        "amount": st.integers(-(10**9), 10**12) | _JSON,
        "amount_refunded": st.integers(-(10**9), 10**12) | _JSON,
        "currency": st.sampled_from(["usd", "eur", "jpy", "xxx", ""]) | _JSON,
        "created": st.integers(0, 4 * 10**9) | _JSON,
        "network_reason_code": st.text(max_size=8) | _JSON,
        "payment_method_details": _JSON,
    },
)


@st.composite
def _stripe_like(draw: st.DrawFn) -> Any:
    """Mostly the processor's envelope with arbitrary fields inside; sometimes any JSON."""
    if draw(st.integers(0, 9)) == 0:
        return draw(_JSON)
    return {
        "id": draw(_ID),
        "object": "event",
        "type": draw(_EVENT_TYPES | _JSON),
        "created": draw(st.integers(0, 4 * 10**9) | _JSON),
        "livemode": draw(_JSON),
        "data": draw(_OBJECT.map(lambda obj: {"object": obj}) | _JSON),
    }


def _event(event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"evt_Fuzz{obj['id'].split('_')[0]}{len(event_type)}", "object": "event",
            "type": event_type, "created": 1_790_000_000, "livemode": False,
            "data": {"object": obj}}  # fmt: skip


# Well-formed events of every handled kind, run first (explicit examples): whatever the
# generator draws, the store is reached, so a 500 there cannot hide behind 400s.
_WELL_FORMED = [
    _event("charge.dispute.created", {"id": "dp_Fuzz", "payment_intent": "pi_Fuzz",
           "amount": 1000, "currency": "usd", "reason": "fraudulent", "created": 1_790_000_000}),
    _event("charge.dispute.closed", {"id": "dp_FuzzB", "charge": "ch_Fuzz", "amount": 500,
           "currency": "eur", "reason": "general", "status": "lost"}),
    _event("radar.early_fraud_warning.created", {"id": "issfr_Fuzz", "charge": "ch_Fuzz",
           "fraud_type": "unauthorized_use_of_card"}),
    _event("refund.created", {"id": "re_Fuzz", "payment_intent": "pi_Fuzz", "amount": 100,
           "currency": "usd", "reason": None}),
    _event("charge.refunded", {"id": "ch_FuzzR", "payment_intent": "pi_Fuzz",
           "amount_refunded": 700, "currency": "usd"}),
]  # fmt: skip


def test_signed_webhook_bodies_never_cause_a_server_error(full_app: Any) -> None:
    """The schema cannot describe the signed body, so generate that side here."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", full_app)
    operation = schema["/v1/webhooks/stripe"]["POST"]
    failures: list[str] = []
    statuses: list[int] = []

    @settings(FUZZ_SETTINGS, max_examples=WEBHOOK_EXAMPLES)
    @given(document=_stripe_like())
    @example(document=_WELL_FORMED[0])
    @example(document=_WELL_FORMED[1])
    @example(document=_WELL_FORMED[2])
    @example(document=_WELL_FORMED[3])
    @example(document=_WELL_FORMED[4])
    def run(document: Any) -> None:
        body = json.dumps(document).encode()
        case = operation.Case(
            body=body,
            media_type="application/json",
            headers={"Stripe-Signature": stripe_signature(body, WEBHOOK_SECRET, int(time.time()))},
        )
        response = case.call()
        statuses.append(response.status_code)
        if response.status_code not in (200, 400, 409):  # 409: a replayed event id
            failures.append(f"{body[:200]!r} → {response.status_code}: {response.text[:300]}")
        assert response.status_code in (200, 400, 409)

    with contextlib.suppress(AssertionError):  # collected in failures, reported below
        run()
    assert not failures, "\n".join(failures)
    # Every well-formed event reached the dispute store (200). How many generated bodies
    # also do depends on what the generator draws (from 0 to 4 of 150 seen in CI), so
    # that is not asserted: the point of the generated ones is that none gets a 500.
    assert statuses[: len(_WELL_FORMED)] == [200] * len(_WELL_FORMED), statuses
    assert len(statuses) > len(_WELL_FORMED) * 10, len(statuses)
