"""Notes on cases and list changes made from them; the text checks analysts' input gets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from access import RequestContext
from audit import AuditEvent, AuditLog
from contracts import Clock
from contracts.pci import contains_pan, contains_secret_key
from db import Database
from review_queue.errors import InvalidInput
from review_queue.models import CaseNote, ReviewCase
from review_queue.transitions import audit_case, load_case, record_action
from review_queue.views import NoteView

__all__ = ["MAX_NOTE_LENGTH", "CaseAnnotations", "check_text", "insert_note"]

MAX_NOTE_LENGTH = 4000


def check_text(field: str, text: str, *, required: bool, limit: int = MAX_NOTE_LENGTH) -> str:
    """Validate free text analysts type. Refuses card numbers without echoing them."""
    text = text.strip()
    if required and not text:
        raise InvalidInput(field, "must not be empty")
    if len(text) > limit:
        raise InvalidInput(field, f"must be at most {limit} characters")
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text):
        raise InvalidInput(field, "control characters are not allowed")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(field, "must be valid UTF-8 text") from None
    if contains_pan(text):
        raise InvalidInput(
            field,
            "looks like it contains a card number; refer to cards by their last four digits",
        )
    if contains_secret_key(text):
        raise InvalidInput(field, "contains a secret key: remove it (and rotate the key)")
    return text


def insert_note(
    session: Session, case: ReviewCase, author: str, body: str, now: datetime
) -> NoteView | None:
    """Add a (checked) note inside the caller's transaction; nothing for an empty body."""
    if not body:
        return None
    note = CaseNote(case_id=case.id, author=author, body=body, created_at=now)
    session.add(note)
    session.flush()
    return NoteView.of(note)


class CaseAnnotations:
    """Notes and list changes: they annotate a case without changing its state."""

    def __init__(self, database: Database, audit: AuditLog, clock: Clock) -> None:
        self.database = database
        self.audit = audit
        self.clock = clock

    def add_note(self, case_id: int, ctx: RequestContext, body: str) -> NoteView:
        """Add a note to a case (open or closed). Notes never hold card numbers."""
        body = check_text("body", body, required=True)
        with self.database.transaction() as session:
            case = load_case(session, case_id)
            note = insert_note(session, case, ctx.actor, body, self.clock.now())
            if note is None:  # unreachable: check_text refused an empty body
                raise InvalidInput("body", "must not be empty")
            audit_case(
                self.audit,
                session,
                case,
                ctx,
                event_type="review.note_added",
                command="note",
                outcome="added",
                before=None,
                after={"note_id": note.id, "length": len(body)},
            )
            return note

    def record_list_addition(
        self,
        case_id: int,
        ctx: RequestContext,
        *,
        list_name: str,
        entity: str,
        value: str,
        reason: str,
        expires_at: datetime | None,
    ) -> None:
        """Record on the case's timeline and in the audit log that a list was changed."""
        with self.database.transaction() as session:
            case = load_case(session, case_id)
            detail = {
                "list": list_name,
                "entity": entity,
                "value": value,
                "reason": reason,
                "expires_at": expires_at.isoformat() if expires_at else None,
            }
            record_action(
                session,
                case,
                ctx.actor,
                "list_added",
                self.clock.now(),
                from_status=case.status,
                detail=detail,
            )
            self.audit.append(
                session,
                AuditEvent(
                    event_type="list.added",
                    actor=ctx.actor,
                    command="list_add",
                    merchant_id=case.merchant_id,
                    transaction_id=case.transaction_id,
                    target=f"list:{list_name}",
                    outcome="added",
                    client_ip=ctx.client_ip,
                    idempotency_key=ctx.idempotency_key,
                    trace_id=ctx.trace_id,
                    after={**detail, "case_id": case.id},
                ),
            )
