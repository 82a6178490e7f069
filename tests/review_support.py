"""Fixtures and factories for the db, audit, access and review-queue tests.

Database tests run on SQLite (a file per test) and on PostgreSQL (a schema per test
in the ``test`` database on 127.0.0.1:5432, dropped afterwards). Nothing is mocked.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import db
from access import RequestContext, UserDirectory
from audit import AuditLog
from contracts import Decision, FrozenClock, Settings, load_settings
from review_queue.service import ReviewService
from tests.factories import BASE_TIME, token

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")
TEST_SECRET = b"test-session-secret-0123456789abcdef"


def make_decision(**overrides: Any) -> Decision:
    """A ``review`` decision with fresh ids; override any field."""
    fields: dict[str, Any] = {
        "transaction_id": token("pi_"),
        "merchant_id": "acct_TestMerchant1",
        "customer_id": token("cus_"),
        "amount": 12_500,
        "currency": "USD",
        "card_brand": "visa",
        "card_bin": "424242",
        "card_last4": "4242",
        "card_country": "US",
        "card_fingerprint": token("fp", 14),
        "channel": "ecommerce",
        "event_time": BASE_TIME,
        "action": "review",
        "score": 0.71,
        "model_version": "lgbm-test-1",
        "rule_set_version": "rules-test-1",
        "rule_hits": [
            {"rule_id": "velocity_card_1h", "action": "review", "reason_code": "velocity_card"}
        ],
        "reasons": [
            {
                "code": "velocity_card",
                "text": "Card used 6 times in the last hour",
                "source": "rule",
            },
            {
                "code": "model_high_risk",
                "text": "Model score above review threshold",
                "source": "model",
                "feature": "card_count_1h",
                "contribution": 0.21,
            },
        ],
        "email_hash": token("eh_", 16),  # letters: never a Luhn-valid digit run
        "device_id": "dev_" + secrets.token_hex(6),
        "features": {
            "card_count_1h": 6,
            "card_amount_sum_1h": 48_000,
            "avs_result": "no_match",
        },
        "latency_ms": 4.2,
        "decided_at": BASE_TIME + timedelta(milliseconds=5),
    }
    fields.update(overrides)
    return Decision.model_validate(fields)


def ctx(actor: str, role: str = "analyst") -> RequestContext:
    return RequestContext(actor=actor, role=role, client_ip="127.0.0.1", trace_id=uuid.uuid4().hex)


class PostgresSchema:
    """A throw-away schema in the ``test`` database, reached through ``search_path``."""

    def __init__(self) -> None:
        self.name = f"rs_test_{uuid.uuid4().hex[:12]}"
        self._admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")

    @property
    def url(self) -> str:
        return f"{PG_ADMIN_URL}?options=-csearch_path%3D{self.name}"

    def create(self) -> str:
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{self.name}"')
        return self.url

    def drop(self) -> None:
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')
        self._admin.dispose()


def empty_database_url(backend: str, tmp_path: Path) -> tuple[str, PostgresSchema | None]:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'riskstream.db'}", None
    schema = PostgresSchema()
    return schema.create(), schema


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database URL, on SQLite and on PostgreSQL."""
    url, schema = empty_database_url(request.param, tmp_path)
    try:
        db.upgrade(url)
        yield url
    finally:
        if schema is not None:
            schema.drop()


@pytest.fixture
def database(db_url: str) -> Iterator[db.Database]:
    database = db.Database.from_url(db_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def review_settings(tmp_path: Path, db_url: str) -> Settings:
    return load_settings(
        data_dir=tmp_path / "data",
        environment="test",
        database_url=db_url,
        review_four_eyes_amount=100_000,
        review_lease_s=300,
        review_sla_margin_s=3600,
    )


@pytest.fixture
def audit_log(clock: FrozenClock) -> AuditLog:
    return AuditLog(environment="test", clock=clock)


@pytest.fixture
def service(
    database: db.Database, audit_log: AuditLog, clock: FrozenClock, review_settings: Settings
) -> ReviewService:
    return ReviewService(database, audit_log, clock, settings=review_settings)


@pytest.fixture
def directory(database: db.Database, audit_log: AuditLog, clock: FrozenClock) -> UserDirectory:
    return UserDirectory(database, audit_log, clock)


# -- the review app, in-process ------------------------------------------------------

PASSWORD = "correct horse battery staple"
USERS: dict[str, str] = {
    "anna": "analyst",
    "bob": "analyst",
    "lea": "lead",
    "leo": "lead",
    "ada": "admin",
    "svc": "service",
}


class ReviewAppEnv:
    """The review app on a migrated database, with one user (and token) per role."""

    def __init__(
        self,
        settings: Settings,
        database: db.Database,
        clock: FrozenClock,
        *,
        api_limit: object = None,
        extra_routes: bool = True,
    ) -> None:
        import httpx
        from fastapi import Depends

        from access import Principal, RateLimit, require
        from review_queue import InMemoryListWriter, create_app

        self.settings = settings
        self.database = database
        self.clock = clock
        self.list_writer = InMemoryListWriter()
        self.app = create_app(
            settings,
            list_writer=self.list_writer,
            clock=clock,
            database=database,
            session_secret=TEST_SECRET,
            api_limit=api_limit or RateLimit(rate_per_s=1000.0, burst=10_000),  # type: ignore[arg-type]
            anonymous_limit=RateLimit(rate_per_s=1000.0, burst=10_000),
        )
        if extra_routes:
            # Stand-ins for the rules and models packages' routes: same permission checks.
            @self.app.put("/v1/rules/{rule_id}", tags=["probe"])
            def change_rule(
                rule_id: str,
                principal: Principal = Depends(require("rules.write")),  # noqa: B008
            ) -> dict[str, str]:
                return {"rule_id": rule_id[:64], "by": principal.username}

            @self.app.post("/v1/models/promote", tags=["probe"])
            def promote_model(
                principal: Principal = Depends(require("models.write")),  # noqa: B008
            ) -> dict[str, str]:
                return {"by": principal.username}

        components = self.app.state.riskstream_reviews
        self.service: ReviewService = components.service
        self.directory: UserDirectory = self.app.state.riskstream_access.directory
        self.tokens: dict[str, str] = {}
        for username, role in USERS.items():
            self.directory.create_user(
                username, role, password=PASSWORD if role != "service" else None
            )
            self.tokens[username] = self.directory.create_token(username, "tests").token
        self._httpx = httpx

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def client(self) -> Any:
        transport = self._httpx.ASGITransport(app=self.app, client=("127.0.0.1", 50000))
        return self._httpx.AsyncClient(transport=transport, base_url="http://review.test")

    def open_case(self, **overrides: Any) -> tuple[int, Decision]:
        from review_queue import QueueFilter

        decision = make_decision(**overrides)
        self.service.ingest([decision])
        page = self.service.queue(QueueFilter(status="all", limit=200), actor="test")
        case_id = next(c.id for c in page.items if c.transaction_id == decision.transaction_id)
        return case_id, decision

    async def login(self, client: Any, username: str) -> str:
        """Log in through the form; returns the session's CSRF token."""
        page = await client.get("/login")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        response = await client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf, "next": ""},
        )
        assert response.status_code == 303, response.text
        queue = await client.get("/reviews")
        return str(queue.text.split('name="csrf_token" value="')[1].split('"')[0])


@pytest.fixture
def review_app(
    review_settings: Settings, database: db.Database, clock: FrozenClock
) -> ReviewAppEnv:
    return ReviewAppEnv(review_settings, database, clock)


# -- the real broker -----------------------------------------------------------------


def bootstrap(settings: Settings) -> str:
    return ",".join(str(endpoint) for endpoint in settings.kafka_bootstrap or ())


async def create_topics(settings: Settings) -> None:
    from contracts import topic_specs
    from pipeline.admin import ensure_topics

    await ensure_topics(bootstrap(settings), topic_specs(settings))


async def produce(settings: Settings, logical: str, messages: list[tuple[str, bytes]]) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap(settings), enable_idempotence=False)
    await producer.start()
    try:
        for key, value in messages:
            await producer.send_and_wait(settings.topic(logical), value=value, key=key.encode())
    finally:
        await producer.stop()


async def consume(
    settings: Settings, logical: str, *, expect: int, timeout_s: float = 20.0, settle_s: float = 2.0
) -> list[Any]:
    """Every message on a topic from the start: waits for ``expect``, then ``settle_s`` more
    to catch duplicates. Never relies on end offsets (the embedded broker misreports them)."""
    import asyncio

    from aiokafka import AIOKafkaConsumer, TopicPartition

    from contracts import topic_specs

    spec = next(s for s in topic_specs(settings) if s.logical == logical)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap(settings), enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    records: list[Any] = []
    try:
        partitions = [TopicPartition(spec.name, p) for p in range(spec.partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        settle_until: float | None = None
        while True:
            now = loop.time()
            if len(records) >= expect and settle_until is None:
                settle_until = now + settle_s
            if (settle_until is not None and now >= settle_until) or now >= deadline:
                return records
            batch = await consumer.getmany(timeout_ms=200)
            for messages in batch.values():
                records.extend(messages)
    finally:
        await consumer.stop()
