"""The review workflow over a real database (SQLite and PostgreSQL), with a frozen clock."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from contracts import FrozenClock, LabelEvent, PaymentCommand
from db import Database
from review_queue.errors import (
    CaseClosed,
    InvalidInput,
    InvalidTransition,
    LeaseHeld,
    LeaseRequired,
    ReviewForbidden,
)
from review_queue.queries import QueueFilter
from review_queue.service import ReviewService
from tests.factories import luhn_complete
from tests.review_support import ctx, make_decision

ANNA, BOB, LEA, LEO = ctx("anna"), ctx("bob"), ctx("lea", "lead"), ctx("leo", "lead")


def _open_case(service: ReviewService, **overrides: object) -> int:
    decision = make_decision(**overrides)
    service.ingest([decision])
    page = service.queue(QueueFilter(status="all"), actor="x")
    return next(c.id for c in page.items if c.transaction_id == decision.transaction_id)


def _outbox(database: Database) -> list[tuple[str, str]]:
    with database.transaction() as session:
        rows = session.execute(sa.text("SELECT topic, payload FROM outbox ORDER BY id")).all()
    return [(row[0], row[1]) for row in rows]


def _commands(database: Database) -> list[PaymentCommand]:
    return [
        PaymentCommand.model_validate_json(payload)
        for topic, payload in _outbox(database)
        if topic in ("captures", "voids")
    ]


def _verify_audit(service: ReviewService) -> None:
    with service.database.transaction() as session:
        report = service.audit.verify(session)
    assert report.ok, report.summary()


def test_review_decisions_open_one_case_each_even_when_redelivered(service: ReviewService) -> None:
    review = make_decision()
    approve = make_decision(action="approve")
    first = service.ingest([review, approve, review])
    again = service.ingest([review, approve])
    assert first.decisions_recorded == 2
    assert first.cases_opened == (review.transaction_id,)
    assert again.decisions_recorded == 0
    assert again.cases_opened == ()
    page = service.queue(QueueFilter(status="all"), actor="anna")
    assert [c.transaction_id for c in page.items] == [review.transaction_id]
    case = page.items[0]
    assert case.auth_expires_at == review.event_time + timedelta(days=7)
    assert case.sla_due_at == case.auth_expires_at - timedelta(hours=1)
    assert case.reason_codes == ("velocity_card", "model_high_risk")
    with service.database.transaction() as session:
        events = [r["event_type"] for r in service.audit.iter_records(session)]
    assert events.count("decision.recorded") == 2
    assert events.count("review.case_opened") == 1
    _verify_audit(service)


def test_claim_then_approve_captures_once_and_labels(service: ReviewService) -> None:
    case_id = _open_case(service, amount=5_000)
    with pytest.raises(LeaseRequired):
        service.workflow.approve(case_id, ANNA)
    assert service.workflow.claim(case_id, ANNA).action == "claimed"
    result = service.workflow.approve(case_id, ANNA, note="customer confirmed by phone")
    assert result.case.status == "approved"
    assert result.command is not None and result.command.command == "capture"
    replay = service.workflow.approve(case_id, ANNA)
    assert replay.replayed
    with pytest.raises(CaseClosed):
        service.workflow.decline(case_id, ANNA)
    commands = _commands(service.database)
    assert [(c.command, c.transaction_id) for c in commands] == [
        ("capture", result.case.transaction_id)
    ]
    labels = [
        LabelEvent.model_validate_json(p) for t, p in _outbox(service.database) if t == "labels"
    ]
    assert [(lbl.is_fraud, lbl.category, lbl.source) for lbl in labels] == [
        (False, "analyst_approved", "analyst")
    ]
    detail = service.detail(case_id)
    assert [e.kind for e in detail.timeline] == ["claimed", "approved", "note"]
    _verify_audit(service)


def test_decline_voids_and_labels_fraud(service: ReviewService) -> None:
    case_id = _open_case(service)
    service.workflow.claim(case_id, BOB)
    result = service.workflow.decline(case_id, BOB, reason="stolen_card")
    assert (result.case.status, result.case.resolution) == ("declined", "void")
    assert result.label is not None and result.label.is_fraud
    assert [c.command for c in _commands(service.database)] == ["void"]


def test_a_claimed_case_is_held_until_the_lease_expires(
    service: ReviewService, clock: FrozenClock
) -> None:
    case_id = _open_case(service)
    service.workflow.claim(case_id, ANNA)
    with pytest.raises(LeaseHeld):
        service.workflow.claim(case_id, BOB)
    with pytest.raises(LeaseHeld):
        service.workflow.approve(case_id, BOB)
    clock.advance(timedelta(seconds=301))
    with pytest.raises(LeaseRequired):
        service.workflow.approve(case_id, ANNA)
    assert service.workflow.claim(case_id, BOB).case.lease_owner == "bob"


def test_two_analysts_claiming_at_once_one_wins(service: ReviewService) -> None:
    case_id = _open_case(service)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def claim(who: str) -> None:
        barrier.wait()
        try:
            service.workflow.claim(case_id, ctx(who))
            outcomes[who] = "won"
        except LeaseHeld:
            outcomes[who] = "held"

    threads = [threading.Thread(target=claim, args=(who,)) for who in ("anna", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["held", "won"]
    winner = next(who for who, outcome in outcomes.items() if outcome == "won")
    assert service.detail(case_id).case.lease_owner == winner


def test_four_eyes_above_the_amount(service: ReviewService) -> None:
    case_id = _open_case(service, amount=250_000)
    service.workflow.claim(case_id, ANNA)
    requested = service.workflow.approve(case_id, ANNA)
    assert requested.case.status == "awaiting_approval"
    assert requested.command is None
    assert service.workflow.approve(case_id, ANNA).replayed  # the request stands
    with pytest.raises(ReviewForbidden):
        service.workflow.claim(case_id, BOB)  # analysts cannot take it
    service.workflow.claim(case_id, LEA)
    approved = service.workflow.approve(case_id, LEA)
    assert (approved.case.status, approved.case.resolved_by) == ("approved", "lea")
    assert [c.command for c in _commands(service.database)] == ["capture"]


def test_nobody_approves_their_own_request_or_escalation(service: ReviewService) -> None:
    big = _open_case(service, amount=250_000)
    service.workflow.claim(big, LEA)
    service.workflow.approve(big, LEA)  # a lead's own request needs another lead
    service.workflow.claim(big, LEA)
    with service.database.transaction() as session:
        session.execute(sa.text("UPDATE review_cases SET approval_requested_by = 'lea2'"))
    # once someone else requested, lea can decide
    service.workflow.claim(big, LEA)
    assert service.workflow.approve(big, LEA).case.status == "approved"

    case_id = _open_case(service)
    service.workflow.claim(case_id, LEO)
    service.workflow.escalate(case_id, LEO, note="odd shipping address")
    service.workflow.claim(case_id, LEO)
    with pytest.raises(ReviewForbidden, match="own escalation"):
        service.workflow.approve(case_id, LEO)
    with service.database.transaction() as session:
        denied = [
            r for r in service.audit.iter_records(session) if r["event_type"] == "review.denied"
        ]
    assert denied and denied[-1]["actor"] == "leo"


def test_escalated_cases_belong_to_leads(service: ReviewService) -> None:
    case_id = _open_case(service)
    with pytest.raises(InvalidInput):
        service.workflow.escalate(case_id, ANNA, note="   ")
    service.workflow.claim(case_id, ANNA)
    escalated = service.workflow.escalate(case_id, ANNA, note="needs a second look")
    assert (escalated.case.status, escalated.case.lease_owner) == ("escalated", None)
    with pytest.raises(InvalidTransition):
        service.workflow.escalate(case_id, BOB, note="again")
    with pytest.raises(ReviewForbidden):
        service.workflow.approve(case_id, ANNA)
    with pytest.raises(ReviewForbidden):
        service.workflow.claim(case_id, BOB)
    service.workflow.claim(case_id, LEA)
    assert service.workflow.approve(case_id, LEA).case.status == "approved"


def test_release_gives_the_case_back(service: ReviewService) -> None:
    case_id = _open_case(service)
    service.workflow.claim(case_id, ANNA)
    with pytest.raises(LeaseHeld):
        service.workflow.release(case_id, BOB)
    assert service.workflow.release(case_id, LEA).case.lease_owner is None  # leads may
    service.workflow.claim(case_id, BOB)
    assert service.workflow.release(case_id, BOB).case.lease_owner is None
    assert service.workflow.release(case_id, BOB).replayed


def test_unclaimed_case_gets_the_default_action_at_expiry_once(
    service: ReviewService, clock: FrozenClock
) -> None:
    case_id = _open_case(service)
    due = service.detail(case_id).case.sla_due_at
    clock.advance(due - clock.now() - timedelta(seconds=1))
    assert service.sla.sweep() == []
    clock.advance(timedelta(seconds=1))
    swept = service.sla.sweep()
    assert [(r.case.id, r.case.status, r.case.resolution) for r in swept] == [
        (case_id, "defaulted", "void")
    ]
    assert service.sla.sweep() == []
    assert service.sla.apply_default(case_id) is None
    commands = _commands(service.database)
    assert [(c.command, c.issued_by, c.reason) for c in commands] == [
        ("void", "system:sla", "sla_expired")
    ]
    with service.database.transaction() as session:
        defaulted = [
            r for r in service.audit.iter_records(session) if r["event_type"] == "review.defaulted"
        ]
    assert len(defaulted) == 1 and defaulted[0]["actor"] == "system:sla"
    _verify_audit(service)


def test_concurrent_sweepers_apply_the_default_once(
    service: ReviewService, clock: FrozenClock
) -> None:
    ids = [_open_case(service) for _ in range(5)]
    clock.advance(timedelta(days=8))
    results: list[int] = []

    def sweep() -> None:
        results.extend(r.case.id for r in service.sla.sweep())

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == sorted(ids)
    assert len(_commands(service.database)) == 5


def test_the_default_action_is_configurable(
    database: Database, review_settings: object, clock: FrozenClock
) -> None:
    from audit import AuditLog

    service = ReviewService(
        database,
        AuditLog(environment="test", clock=clock),
        clock,
        settings=review_settings.replace(review_default_action="capture"),  # type: ignore[attr-defined]
    )
    case_id = _open_case(service, card_brand="amex")
    service.workflow.claim(case_id, ANNA)  # claimed or not, the SLA applies
    clock.advance(timedelta(days=8))
    assert [r.case.resolution for r in service.sla.sweep()] == ["capture"]


def test_notes_refuse_card_numbers_without_storing_them(service: ReviewService) -> None:
    case_id = _open_case(service)
    pan = luhn_complete("555555", 16)
    with pytest.raises(InvalidInput) as caught:
        service.annotations.add_note(case_id, ANNA, f"card was {pan}")
    assert pan not in str(caught.value)
    note = service.annotations.add_note(case_id, ANNA, "customer called, ****4242 is theirs")
    assert note.author == "anna"
    with service.database.transaction() as session:
        dump = json.dumps(
            [list(r) for r in session.execute(sa.text("SELECT * FROM review_case_notes"))],
            default=str,
        )
    assert pan not in dump


def test_queue_is_ordered_by_priority_and_filters(
    service: ReviewService, clock: FrozenClock
) -> None:
    small = make_decision(amount=1_000, score=0.5, merchant_id="acct_Small")
    big = make_decision(amount=900_000, score=0.95, merchant_id="acct_Big")
    soon = make_decision(amount=1_000, score=0.5, event_time=small.event_time - timedelta(days=6))
    service.ingest([small, big, soon])
    order = [c.transaction_id for c in service.queue(QueueFilter(), actor="anna").items]
    assert order == [soon.transaction_id, big.transaction_id, small.transaction_id]

    def ids(**kw: object) -> set[str]:
        page = service.queue(QueueFilter(**kw), actor="anna")  # type: ignore[arg-type]
        return {c.transaction_id for c in page.items}

    assert ids(merchant_id="acct_Big") == {big.transaction_id}
    assert ids(amount_min=500_000) == {big.transaction_id}
    assert ids(amount_max=1_000) == {small.transaction_id, soon.transaction_id}
    assert ids(reason="velocity_card") == {
        small.transaction_id,
        big.transaction_id,
        soon.transaction_id,
    }
    assert ids(reason="no_such_code") == set()
    case_id = next(
        c.id
        for c in service.queue(QueueFilter(), actor="a").items
        if c.transaction_id == big.transaction_id
    )
    service.workflow.claim(case_id, ANNA)
    assert ids(assignee="me") == {big.transaction_id}
    assert ids(assignee="unassigned") == {small.transaction_id, soon.transaction_id}
    clock.advance(timedelta(hours=2))
    service.ingest([make_decision(merchant_id="acct_New")])
    assert len(ids(max_age=timedelta(hours=1))) == 1
    assert len(ids(min_age=timedelta(hours=1))) == 3


def test_case_detail_shows_the_cards_history(service: ReviewService) -> None:
    decision = make_decision()
    earlier = make_decision(
        action="approve",
        card_fingerprint=decision.card_fingerprint,
        event_time=decision.event_time - timedelta(hours=3),
    )
    other_card = make_decision(action="approve")
    service.ingest([earlier, other_card, decision])
    case_id = _open_case(service, transaction_id=decision.transaction_id)
    detail = service.detail(case_id)
    assert [h.transaction_id for h in detail.history] == [earlier.transaction_id]
    assert detail.decision["features"]["card_count_1h"] == 6
    assert detail.decision["rule_hits"][0]["rule_id"] == "velocity_card_1h"
