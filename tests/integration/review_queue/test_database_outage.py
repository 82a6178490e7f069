"""Fault: the review queue's PostgreSQL goes away mid-stream, then comes back.

`riskstream review-workers` (a child process) reaches PostgreSQL through a TCP proxy
that the test cuts for several seconds while decisions keep arriving. Afterwards,
read directly from PostgreSQL: every decision is logged once, every ``review``
decision has one case, the audit log has one record of each and its chain verifies.
While the database is cut, the review API answers 503 with an error body, not a 500.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import db
from audit import AuditLog
from contracts import Decision, FrozenClock, Settings
from riskstream.stack import child_env, stop_process
from tests.factories import token
from tests.review_support import PostgresSchema, ReviewAppEnv, make_decision
from tests.streams import create_topics, produce
from tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PG_HOST, PG_PORT = "127.0.0.1", 5432
WARMUP = 40  # decisions recorded before the stream starts: the workers are up
STREAM = 600  # decisions produced in the background, through the outage
OUTAGE_S = 5.0  # past the ingestor's first retry (backoff 2 s, then 4 s)


@dataclass
class Outage:
    """A migrated schema, reached directly (to check) and through the proxy (to cut)."""

    proxy: TcpProxy
    proxied_url: str
    direct: db.Database  # never through the proxy
    proxied: db.Database  # for the review app, like the workers


@pytest.fixture
def outage() -> Iterator[Outage]:
    schema = PostgresSchema()
    schema.create()
    try:
        db.upgrade(schema.url)
        with TcpProxy(PG_HOST, PG_PORT) as proxy:
            proxied_url = schema.url.replace(
                f"@{PG_HOST}:{PG_PORT}/", f"@{PG_HOST}:{proxy.port}/", 1
            )
            direct = db.Database.from_url(schema.url)
            proxied = db.Database.from_url(proxied_url)
            try:
                yield Outage(proxy, proxied_url, direct, proxied)
            finally:
                proxied.dispose()
                direct.dispose()
    finally:
        schema.drop()


def _decisions(n: int) -> list[Decision]:
    """``n`` decisions decided now; two in three are held for review."""
    now = datetime.now(UTC)
    actions = ("review", "approve", "review")
    return [
        make_decision(
            action=actions[i % 3],
            event_time=now,
            decided_at=now + timedelta(milliseconds=5),
            # Letters only: a random hex hash is now and then all digits and Luhn-valid,
            # and the ingestor rightly dead-letters it as card data.
            email_hash=token("eh_", 16),
        )
        for i in range(n)
    ]


def _messages(decisions: list[Decision]) -> list[tuple[bytes | None, bytes]]:
    return [(d.card_fingerprint.encode(), d.model_dump_json().encode()) for d in decisions]


def _produce_in_background(settings: Settings, decisions: list[Decision]) -> threading.Thread:
    """About 100 decisions per second, so the outage lands while the stream flows."""

    def run() -> None:
        topic = settings.topic("decisions")
        messages = _messages(decisions)
        for start in range(0, len(messages), 25):
            asyncio.run(produce(settings, topic, messages[start : start + 25]))
            time.sleep(0.2)

    thread = threading.Thread(target=run, name="decision-producer")
    thread.start()
    return thread


def _scalar(database: db.Database, sql: str, **params: Any) -> Any:
    with database.transaction() as session:
        return session.execute(sa.text(sql), params).scalar_one()


def _logged(database: db.Database) -> int:
    return int(_scalar(database, "SELECT count(*) FROM decision_log"))


def _wait_logged(
    database: db.Database,
    at_least: int,
    process: subprocess.Popen[bytes],
    log: Path,
    timeout_s: float,
) -> None:
    deadline = time.monotonic() + timeout_s
    while _logged(database) < at_least:
        if process.poll() is not None:
            pytest.fail(f"review-workers exited ({process.returncode}):\n{_tail(log)}")
        if time.monotonic() > deadline:
            pytest.fail(f"fewer than {at_least} decisions logged in {timeout_s}s:\n{_tail(log)}")
        time.sleep(0.1)


def _tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else "(no log)"


async def _get(env: ReviewAppEnv, path: str, **headers: str) -> Any:
    async with env.client() as client:
        return await client.get(path, headers={**env.auth("lea"), **headers})


def _check_unavailable(env: ReviewAppEnv) -> None:
    """What the review API and UI answer while the database is cut."""
    response = asyncio.run(_get(env, "/v1/reviews?status=all"))
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    error = response.json()["error"]
    assert error["code"] == "database_unavailable"
    assert error["message"] and error["trace_id"]
    assert "Traceback" not in response.text and "psycopg" not in response.text
    page = asyncio.run(_get(env, "/reviews", accept="text/html"))
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert "the database is unavailable" in page.text and "Traceback" not in page.text


def test_review_workers_ride_out_a_database_outage(
    outage: Outage, stack_settings: Settings, tmp_path: Path
) -> None:
    settings = stack_settings.replace(database_url=outage.proxied_url)
    asyncio.run(create_topics(settings))
    direct = outage.direct
    # The review app's users and tokens are made before the cut.
    env = ReviewAppEnv(settings, outage.proxied, FrozenClock(datetime.now(UTC)), extra_routes=False)
    warmup, stream = _decisions(WARMUP), _decisions(STREAM)
    log = tmp_path / "review-workers.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "riskstream.cli", "review-workers"],
            env=child_env(
                settings,
                RISKSTREAM_DATABASE_URL=outage.proxied_url,
                RISKSTREAM_LOG_LEVEL="info",
            ),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    producer: threading.Thread | None = None
    try:
        asyncio.run(produce(settings, settings.topic("decisions"), _messages(warmup)))
        _wait_logged(direct, WARMUP, process, log, timeout_s=30)

        producer = _produce_in_background(settings, stream)
        _wait_logged(direct, WARMUP + 100, process, log, timeout_s=20)
        outage.proxy.cut()
        cut_at = datetime.now(UTC)  # from now on no attempt to record can succeed
        _check_unavailable(env)
        logged_before_cut = _logged(direct)
        time.sleep(OUTAGE_S)
        assert _logged(direct) == logged_before_cut  # nothing got through the cut
        restored_at = datetime.now(UTC)  # no attempt before this can have succeeded
        outage.proxy.restore()

        producer.join(timeout=30)
        assert not producer.is_alive()
        _wait_logged(direct, WARMUP + STREAM, process, log, timeout_s=30)
        # The review API is back through the same (proxied) pool.
        back = asyncio.run(_get(env, "/v1/reviews?status=all&limit=1"))
        assert back.status_code == 200, back.text
        time.sleep(1.0)  # a late duplicate would land now
        assert process.poll() is None, _tail(log)  # the outage never stopped the workers
    finally:
        if producer is not None:
            producer.join(timeout=30)
        stop_process(process, timeout_s=30)

    text = log.read_text(errors="replace")
    # A clean exit on SIGINT, after at least one retry that failed too.
    assert process.returncode == 0, text[-3000:]
    assert " decisions failed (attempt 2)" in text, text[-3000:]
    assert outage.proxy.refused > 0

    decisions = {d.transaction_id: d for d in warmup + stream}
    reviews = {t for t, d in decisions.items() if d.action == "review"}
    with direct.transaction() as session:
        rows = session.execute(
            sa.text("SELECT transaction_id, payload, recorded_at FROM decision_log")
        ).all()
        cases = session.execute(sa.text("SELECT transaction_id FROM review_cases")).all()
        audited = session.execute(
            sa.text(
                "SELECT event_type, transaction_id, count(*) FROM audit_log "
                "WHERE transaction_id IS NOT NULL GROUP BY event_type, transaction_id"
            )
        ).all()
        report = AuditLog(environment="test", clock=FrozenClock(restored_at)).verify(session)

    # Every decision logged exactly once, unchanged; one case per review decision.
    assert len(rows) == len(decisions)
    assert {r.transaction_id for r in rows} == set(decisions)
    assert all(Decision.model_validate_json(r.payload) == decisions[r.transaction_id] for r in rows)
    assert len(cases) == len(reviews)
    assert {c.transaction_id for c in cases} == reviews
    # The audit log says so once each, and its chain verifies.
    counts: dict[str, dict[str, int]] = {}
    for event_type, transaction_id, count in audited:
        counts.setdefault(event_type, {})[transaction_id] = count
    assert counts["decision.recorded"] == dict.fromkeys(decisions, 1)
    assert counts["review.case_opened"] == dict.fromkeys(reviews, 1)
    assert report.ok, report.summary()

    # The outage landed mid-stream: some recorded before the cut, some after it,
    # none while the database was unreachable.
    recorded = [_utc(r.recorded_at) for r in rows]
    assert WARMUP + 100 <= sum(t < cut_at for t in recorded) < len(decisions)
    assert sum(t >= restored_at for t in recorded) > 0
    assert not any(cut_at <= t < restored_at for t in recorded)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
