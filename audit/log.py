"""The append-only, hash-chained audit log.

Appends happen inside the caller's transaction, so an action and its audit record
commit (or roll back) together. Each append locks the chain head, links the new
record to the previous one by hash and moves the head. :meth:`AuditLog.verify`
re-walks the chain and reports every edited, missing or re-linked record by id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TextIO, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from audit.errors import ChainNotInitialised
from audit.events import (
    AuditEvent,
    canonical_json,
    clean_text,
    format_timestamp,
    row_digest,
    sanitize,
)
from audit.models import CHAIN_HEAD_ID, AuditChainHead, AuditRecord
from audit.verify import VerifyReport, verify_chain
from contracts import Clock

__all__ = ["AuditLog", "ChainHead", "PruneResult"]

log = logging.getLogger(__name__)

_records = cast(Table, AuditRecord.__table__)
_head = cast(Table, AuditChainHead.__table__)


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The chain's ends. Publish ``last_id``/``last_hash`` elsewhere to anchor the log."""

    last_id: int
    last_hash: str
    anchor_id: int
    anchor_hash: str


@dataclass(frozen=True, slots=True)
class PruneResult:
    deleted: int
    anchor_id: int
    anchor_hash: str


def _record_dict(row: Any) -> dict[str, Any]:
    return {column.name: getattr(row, column.name) for column in _records.columns}


class AuditLog:
    """Writes, verifies, exports and prunes the audit log.

    Args:
        environment: stamped on every record (``Settings.environment``).
        clock: gives each record's timestamp.
        retention_days: how long records are kept (``Settings.audit_retention_days``).
    """

    def __init__(self, *, environment: str, clock: Clock, retention_days: int = 365) -> None:
        self.environment = environment
        self.clock = clock
        self.retention_days = retention_days

    # -- writing -----------------------------------------------------------------

    def _lock_head(self, session: Session) -> ChainHead:
        row = session.execute(
            select(_head.c.last_id, _head.c.last_hash, _head.c.anchor_id, _head.c.anchor_hash)
            .where(_head.c.id == CHAIN_HEAD_ID)
            .with_for_update()
        ).one_or_none()
        if row is None:
            raise ChainNotInitialised()
        return ChainHead(row.last_id, row.last_hash, row.anchor_id, row.anchor_hash)

    def append(self, session: Session, event: AuditEvent) -> int:
        """Append one record inside the caller's transaction; returns its id."""
        return self.append_many(session, [event])[0]

    def append_many(self, session: Session, events: Sequence[AuditEvent]) -> list[int]:
        """Append records in order inside the caller's transaction; returns their ids."""
        if not events:
            return []
        head = self._lock_head(session)
        now = self.clock.now()
        rows: list[dict[str, Any]] = []
        last_id, last_hash = head.last_id, head.last_hash
        for event in events:
            last_id += 1
            row = self._row(event, last_id, now, last_hash)
            row["row_hash"] = last_hash = row_digest(row)
            rows.append(row)
        session.execute(insert(_records), rows)
        session.execute(
            update(_head)
            .where(_head.c.id == CHAIN_HEAD_ID)
            .values(last_id=last_id, last_hash=last_hash, updated_at=now)
        )
        return [row["id"] for row in rows]

    def _row(self, event: AuditEvent, row_id: int, now: datetime, prev: str) -> dict[str, Any]:
        return {
            "id": row_id,
            "recorded_at": now,
            "event_type": event.event_type,
            "actor": clean_text("actor", event.actor),
            "environment": self.environment,
            "merchant_id": clean_text("merchant_id", event.merchant_id),
            "command": clean_text("command", event.command),
            "transaction_id": clean_text("transaction_id", event.transaction_id),
            "target": clean_text("target", event.target),
            "amount": event.amount,
            "currency": clean_text("currency", event.currency),
            "outcome": clean_text("outcome", event.outcome),
            "client_ip": clean_text("client_ip", event.client_ip),
            "idempotency_key": clean_text("idempotency_key", event.idempotency_key),
            "trace_id": clean_text("trace_id", event.trace_id),
            "before_json": None if event.before is None else canonical_json(sanitize(event.before)),
            "after_json": None if event.after is None else canonical_json(sanitize(event.after)),
            "prev_hash": prev,
        }

    # -- reading -----------------------------------------------------------------

    def head(self, session: Session) -> ChainHead:
        row = session.execute(select(_head).where(_head.c.id == CHAIN_HEAD_ID)).one_or_none()
        if row is None:
            raise ChainNotInitialised()
        return ChainHead(row.last_id, row.last_hash, row.anchor_id, row.anchor_hash)

    def iter_records(
        self,
        session: Session,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        transaction_id: str | None = None,
        batch: int = 1000,
        up_to_id: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Records in chain order as dicts of their columns, read in batches."""
        after_id = 0
        while True:
            query = select(_records).where(_records.c.id > after_id)
            if since is not None:
                query = query.where(_records.c.recorded_at >= since)
            if until is not None:
                query = query.where(_records.c.recorded_at < until)
            if transaction_id is not None:
                query = query.where(_records.c.transaction_id == transaction_id)
            if up_to_id is not None:
                query = query.where(_records.c.id <= up_to_id)
            rows = session.execute(query.order_by(_records.c.id).limit(batch)).all()
            if not rows:
                return
            for row in rows:
                yield _record_dict(row)
            after_id = rows[-1].id

    def verify(self, session: Session, *, expected_head: ChainHead | None = None) -> VerifyReport:
        """Re-walk the chain; the report names every edited, missing or re-linked record.

        Records appended after the head was read are left for the next run. Pass
        ``expected_head`` (a head published earlier) to also catch a rewritten tail.
        """
        head = self.head(session)
        report = verify_chain(self.iter_records(session, up_to_id=head.last_id), head)
        if expected_head is None or expected_head.last_id <= head.anchor_id:
            return report
        if expected_head.last_id > head.last_id:
            return report.with_problem(
                expected_head.last_id,
                "head_mismatch",
                f"the chain ends at {head.last_id}, before the published head",
            )
        known = session.execute(
            select(_records.c.row_hash).where(_records.c.id == expected_head.last_id)
        ).scalar_one_or_none()
        if known != expected_head.last_hash:
            report = report.with_problem(
                expected_head.last_id, "head_mismatch", "differs from the published head"
            )
        return report

    def export_jsonl(
        self,
        session: Session,
        out: TextIO,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """Write records as JSON lines (one object per record, in chain order).

        ``before``/``after`` appear both parsed and as the exact hashed text, so an
        auditor can re-compute every hash. Returns the number of lines written.
        """
        count = 0
        for record in self.iter_records(session, since=since, until=until):
            document = dict(record)
            document["recorded_at"] = format_timestamp(record["recorded_at"])
            document["before"] = _parse(record["before_json"])
            document["after"] = _parse(record["after_json"])
            out.write(canonical_json(document) + "\n")
            count += 1
        return count

    # -- retention ---------------------------------------------------------------

    def prune(self, session: Session, *, retention_days: int | None = None) -> PruneResult:
        """Delete records older than the retention period, keeping the chain verifiable.

        Only a prefix of the chain is ever removed. The last removed record's id and
        hash become the anchor the first remaining record must link to, and the prune
        itself is appended as an ``audit.pruned`` record.
        """
        days = retention_days if retention_days is not None else self.retention_days
        cutoff = self.clock.now() - timedelta(days=days)
        head = self._lock_head(session)
        first_kept = session.execute(
            select(func.min(_records.c.id)).where(_records.c.recorded_at >= cutoff)
        ).scalar_one_or_none()
        through = head.last_id if first_kept is None else int(first_kept) - 1
        if through <= head.anchor_id:
            return PruneResult(0, head.anchor_id, head.anchor_hash)
        anchor_hash = session.execute(
            select(_records.c.row_hash).where(_records.c.id == through)
        ).scalar_one_or_none()
        if anchor_hash is None:  # the row is already gone: keep the chain honest, prune less
            log.warning("audit prune: record %d is missing; nothing pruned", through)
            return PruneResult(0, head.anchor_id, head.anchor_hash)
        result = session.execute(delete(_records).where(_records.c.id <= through))
        deleted = int(result.rowcount or 0)  # type: ignore[attr-defined]
        session.execute(
            update(_head)
            .where(_head.c.id == CHAIN_HEAD_ID)
            .values(anchor_id=through, anchor_hash=anchor_hash)
        )
        self.append(
            session,
            AuditEvent(
                event_type="audit.pruned",
                actor="system:retention",
                outcome="pruned",
                after={
                    "through_id": through,
                    "anchor_hash": anchor_hash,
                    "deleted": deleted,
                    "cutoff": format_timestamp(cutoff),
                    "retention_days": days,
                },
            ),
        )
        return PruneResult(deleted, through, anchor_hash)


def _parse(text: str | None) -> Any:
    return None if text is None else json.loads(text)
