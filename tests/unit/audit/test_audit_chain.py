"""The audit log: append, verify, detect tampering, export, prune — on both backends."""

from __future__ import annotations

import io
import json
import threading
from datetime import timedelta

import sqlalchemy as sa

from audit import AuditEvent, AuditLog, row_digest
from contracts import FrozenClock
from db import Database
from tests.factories import luhn_complete


def _event(n: int, **extra: object) -> AuditEvent:
    fields: dict[str, object] = {
        "event_type": "review.approved",
        "actor": f"analyst{n % 3}",
        "command": "approve",
        "merchant_id": "acct_TestMerchant1",
        "transaction_id": f"pi_test{n:04d}",
        "amount": 1000 + n,
        "currency": "USD",
        "outcome": "capture",
        "client_ip": "127.0.0.1",
        "idempotency_key": f"idem-{n}",
        "trace_id": f"trace{n:04d}",
        "before": {"status": "open"},
        "after": {"status": "approved", "n": n},
    }
    fields.update(extra)
    return AuditEvent(**fields)  # type: ignore[arg-type]


def _fill(database: Database, audit: AuditLog, count: int) -> None:
    with database.transaction() as session:
        audit.append_many(session, [_event(n) for n in range(count)])


def _verify(database: Database, audit: AuditLog) -> object:
    with database.transaction() as session:
        return audit.verify(session)


def _sql(database: Database, statement: str) -> None:
    with database.transaction() as session:
        session.execute(sa.text(statement))


def test_an_untouched_chain_verifies(database: Database, audit_log: AuditLog) -> None:
    _fill(database, audit_log, 5)
    with database.transaction() as session:
        audit_log.append(session, _event(99))
        report = audit_log.verify(session)
        head = audit_log.head(session)
    assert report.ok, report.summary()
    assert report.checked == 6
    assert head.last_id == 6


def test_every_record_carries_the_required_fields(database: Database, audit_log: AuditLog) -> None:
    _fill(database, audit_log, 1)
    with database.transaction() as session:
        record = next(audit_log.iter_records(session))
    for field in (
        "recorded_at", "event_type", "actor", "merchant_id", "environment", "command",
        "transaction_id", "amount", "currency", "outcome", "client_ip", "idempotency_key",
        "trace_id",
    ):  # fmt: skip
        assert record[field] is not None, field
    assert record["environment"] == "test"
    assert json.loads(record["before_json"]) == {"status": "open"}


def test_an_edited_record_is_reported_by_id(database: Database, audit_log: AuditLog) -> None:
    _fill(database, audit_log, 5)
    _sql(database, "UPDATE audit_log SET outcome = 'void' WHERE id = 3")
    report = _verify(database, audit_log)
    assert not report.ok  # type: ignore[attr-defined]
    assert [(p.record_id, p.kind) for p in report.problems] == [(3, "edited")]  # type: ignore[attr-defined]


def test_a_rehashed_edit_breaks_the_next_link(database: Database, audit_log: AuditLog) -> None:
    _fill(database, audit_log, 5)
    with database.transaction() as session:
        forged = next(r for r in audit_log.iter_records(session) if r["id"] == 2)
        forged["actor"] = "mallory"
        new_hash = row_digest(forged)
        session.execute(
            sa.text("UPDATE audit_log SET actor = 'mallory', row_hash = :h WHERE id = 2"),
            {"h": new_hash},
        )
    report = _verify(database, audit_log)
    assert [(p.record_id, p.kind) for p in report.problems] == [(3, "broken_link")]  # type: ignore[attr-defined]


def test_deleted_records_are_reported(database: Database, audit_log: AuditLog) -> None:
    _fill(database, audit_log, 6)
    _sql(database, "DELETE FROM audit_log WHERE id IN (2, 3)")
    report = _verify(database, audit_log)
    assert [(p.record_id, p.kind) for p in report.problems] == [(2, "missing")]  # type: ignore[attr-defined]
    _sql(database, "DELETE FROM audit_log WHERE id = 6")
    report = _verify(database, audit_log)
    kinds = [(p.record_id, p.kind) for p in report.problems]  # type: ignore[attr-defined]
    assert (6, "missing") in kinds


def test_reordered_records_are_reported(database: Database, audit_log: AuditLog) -> None:
    _fill(database, audit_log, 4)
    _sql(database, "UPDATE audit_log SET id = 100 WHERE id = 2")
    _sql(database, "UPDATE audit_log SET id = 2 WHERE id = 3")
    _sql(database, "UPDATE audit_log SET id = 3 WHERE id = 100")
    report = _verify(database, audit_log)
    ids = {p.record_id for p in report.problems}  # type: ignore[attr-defined]
    assert {2, 3} <= ids


def test_a_published_head_catches_a_rewritten_tail(database: Database, audit_log: AuditLog) -> None:
    _fill(database, audit_log, 3)
    with database.transaction() as session:
        published = audit_log.head(session)
    # An attacker with database access deletes the last record and moves the head back.
    _sql(database, "DELETE FROM audit_log WHERE id = 3")
    with database.transaction() as session:
        row_hash = session.execute(sa.text("SELECT row_hash FROM audit_log WHERE id = 2")).scalar()
        session.execute(
            sa.text("UPDATE audit_chain_head SET last_id = 2, last_hash = :h"), {"h": row_hash}
        )
    with database.transaction() as session:
        assert audit_log.verify(session).ok
        report = audit_log.verify(session, expected_head=published)
    assert not report.ok


def test_card_data_never_reaches_the_log(database: Database, audit_log: AuditLog) -> None:
    pan = luhn_complete("411111", 16)
    with database.transaction() as session:
        audit_log.append(
            session,
            AuditEvent(
                event_type="review.note_added",
                actor=f"user {pan}",
                transaction_id=f"pi_{pan}",
                after={
                    "note": f"customer said {pan}",
                    "cvv": "123",
                    "nested": [{"pan": pan}],
                    "as_number": float(pan),
                },
            ),
        )
        rows = session.execute(sa.text("SELECT * FROM audit_log")).mappings().all()
        stream = io.StringIO()
        audit_log.export_jsonl(session, stream)
        assert audit_log.verify(session).ok
    dumped = json.dumps([dict(r) for r in rows], default=str) + stream.getvalue()
    assert pan not in dumped
    assert "****" + pan[-4:] in dumped
    assert '"cvv":"[redacted]"' in dumped.replace(" ", "")


def test_export_writes_rehashable_json_lines(database: Database, audit_log: AuditLog) -> None:
    _fill(database, audit_log, 4)
    out = io.StringIO()
    with database.transaction() as session:
        assert audit_log.export_jsonl(session, out) == 4
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["id"] for line in lines] == [1, 2, 3, 4]
    for line in lines:
        assert row_digest(line) == line["row_hash"]
    assert lines[1]["prev_hash"] == lines[0]["row_hash"]
    assert lines[0]["after"] == {"status": "approved", "n": 0}


def test_pruning_keeps_the_chain_verifiable(database: Database, clock: FrozenClock) -> None:
    audit = AuditLog(environment="test", clock=clock, retention_days=30)
    _fill(database, audit, 3)
    clock.advance(timedelta(days=20))
    _fill(database, audit, 2)
    clock.advance(timedelta(days=15))
    with database.transaction() as session:
        result = audit.prune(session)
    assert (result.deleted, result.anchor_id) == (3, 3)
    with database.transaction() as session:
        report = audit.verify(session)
        records = list(audit.iter_records(session))
        assert audit.prune(session).deleted == 0  # nothing more is old enough
    assert report.ok, report.summary()
    assert [r["id"] for r in records] == [4, 5, 6]
    assert records[-1]["event_type"] == "audit.pruned"
    _sql(database, "UPDATE audit_log SET amount = 1 WHERE id = 4")
    assert not _verify(database, audit).ok  # type: ignore[attr-defined]


def test_concurrent_writers_keep_one_unbroken_chain(
    database: Database, audit_log: AuditLog
) -> None:
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for n in range(10):
                with database.transaction() as session:
                    audit_log.append(session, _event(offset + n))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i * 100,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    report = _verify(database, audit_log)
    assert report.ok, report.summary()  # type: ignore[attr-defined]
    assert report.checked == 40  # type: ignore[attr-defined]


def test_a_rolled_back_action_leaves_no_record(database: Database, audit_log: AuditLog) -> None:
    try:
        with database.transaction() as session:
            audit_log.append(session, _event(1))
            raise RuntimeError("the action failed")
    except RuntimeError:
        pass
    _fill(database, audit_log, 1)
    with database.transaction() as session:
        assert audit_log.head(session).last_id == 1
        assert audit_log.verify(session).ok
