"""Stream ingestion: the ``chargebacks`` topic into disputes, the ``labels`` topic into the store.

Both read in batches with their own consumer group, commit offsets only after the
database commit, and send a message they cannot read to the dead-letter topic with
its reason and position (never stopping the stream). A chargebacks message is either
a :class:`contracts.DisputeEvent` or the processor's own event JSON.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import ValidationError

from contracts import DeadLetter, DisputeEvent, ErrorDetail, LabelEvent, MessagePosition, Settings
from contracts.decoding import safe_transaction_id
from contracts.errors import RejectionReason
from contracts.pci import scan_document
from disputes.errors import DisputeError, InvalidDispute
from disputes.labels import record_labels
from disputes.service import DisputeService, body_digest
from disputes.stripe_events import from_stripe_event, is_stripe_event, without_network_references
from review_queue.kafka import make_consumer, make_producer

__all__ = ["ChargebackIngestor", "LabelIngestor", "decode_dispute", "decode_label"]

log = logging.getLogger(__name__)

_LIMITS = {"merchant_id": 255, "currency": 3, "transaction_id": 255}


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: RejectionReason | Literal["processing_error"]
    errors: tuple[ErrorDetail, ...]
    keep_payload: bool
    document: object = None


@dataclass(frozen=True, slots=True)
class Ignored:
    """A well-formed processor event of a type that carries no label."""


def _document(raw: bytes | None) -> object | Rejected:
    if raw is None:
        return Rejected(
            "invalid_json", (ErrorDetail(loc="$", code="empty", message="no value"),), False
        )
    try:
        document: object = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        card = bool(scan_document(raw.decode("utf-8", "replace")))
        code = "card_number" if card else "invalid_json"
        return Rejected(
            "pci_violation" if card else "invalid_json",
            (ErrorDetail(loc="$", code=code, message="not a JSON document"),),
            not card,
        )
    scanned = without_network_references(document) if is_stripe_event(document) else document
    findings = scan_document(scanned)
    if findings:
        errors = tuple(
            ErrorDetail(loc=f.path, code=f.kind, message="card data is never accepted")
            for f in findings
        )
        return Rejected("pci_violation", errors, False, document)
    return document


def _schema_errors(exc: ValidationError) -> tuple[ErrorDetail, ...]:
    return tuple(
        ErrorDetail(
            loc=".".join(str(p) for p in error["loc"]) or "$",
            code=error["type"],
            message=error["msg"],
        )
        for error in exc.errors(include_input=False, include_url=False)[:20]
    )


def decode_dispute(raw: bytes | None) -> DisputeEvent | Ignored | Rejected:
    document = _document(raw)
    if isinstance(document, Rejected):
        return document
    try:
        if is_stripe_event(document):
            event = from_stripe_event(document)  # type: ignore[arg-type]
            return Ignored() if event is None else event
        return DisputeEvent.model_validate(document)
    except InvalidDispute as exc:
        error = ErrorDetail(loc=exc.where, code="invalid", message=str(exc))
        return Rejected("schema", (error,), True, document)
    except ValidationError as exc:
        return Rejected("schema", _schema_errors(exc), True, document)


def decode_label(raw: bytes | None) -> LabelEvent | Rejected:
    document = _document(raw)
    if isinstance(document, Rejected):
        return document
    try:
        label = LabelEvent.model_validate(document)
    except ValidationError as exc:
        return Rejected("schema", _schema_errors(exc), True, document)
    problems = [
        ErrorDetail(loc=name, code="too_long", message=f"at most {limit} characters")
        for name, limit in _LIMITS.items()
        if len(getattr(label, name) or "") > limit
    ]
    if problems:
        return Rejected("schema", tuple(problems), True, document)
    return label


class _TopicIngestor:
    """Batch loop shared by both ingestors: poll, handle, dead-letter, commit."""

    logical_topic = ""
    client_id = ""

    def __init__(
        self,
        settings: Settings,
        *,
        group_id: str,
        now: Callable[[], datetime],
        batch_size: int = 500,
        poll_timeout_ms: int = 500,
    ) -> None:
        self.settings = settings
        self.group_id = group_id
        self.now = now
        self.batch_size = batch_size
        self.poll_timeout_ms = poll_timeout_ms
        self.topic = settings.topic(self.logical_topic)
        self.dead_letter_topic = settings.topic("transactions.dlq")
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = make_producer(self.settings, client_id=self.client_id)
        self._consumer = make_consumer(
            self.settings, self.topic, group_id=self.group_id, client_id=self.client_id,
            max_records=self.batch_size,
        )  # fmt: skip
        await self._producer.start()
        await self._consumer.start()

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def handle(self, values: list[tuple[MessagePosition, bytes | None]]) -> list[DeadLetter]:
        raise NotImplementedError

    def dead_letter(
        self, rejected: Rejected, position: MessagePosition, raw: bytes | None
    ) -> DeadLetter:
        keep = rejected.keep_payload and raw is not None
        return DeadLetter(
            reason=rejected.reason,
            errors=rejected.errors,
            transaction_id=safe_transaction_id(rejected.document),
            position=position,
            received_at=self.now(),
            payload=raw.decode("utf-8", "replace") if keep and raw is not None else None,
        )

    async def poll_once(self) -> int | None:
        """Handle one batch and commit it; None when nothing arrived."""
        if self._consumer is None or self._producer is None:
            raise RuntimeError("call start() before polling")
        batches = await self._consumer.getmany(
            timeout_ms=self.poll_timeout_ms, max_records=self.batch_size
        )
        if not batches:
            return None
        values: list[tuple[MessagePosition, bytes | None]] = []
        ends: dict[TopicPartition, int] = {}
        for tp, messages in batches.items():
            ends[tp] = messages[-1].offset + 1
            values.extend(
                (
                    MessagePosition(
                        source="stream", topic=tp.topic, partition=tp.partition, offset=m.offset
                    ),
                    m.value,
                )
                for m in messages
            )
        letters = await self.handle(values)
        for letter in letters:
            log.warning(
                "%s message at %s/%s@%s rejected (%s) → %s", self.logical_topic,
                letter.position.topic, letter.position.partition, letter.position.offset,
                letter.reason, self.dead_letter_topic,
            )  # fmt: skip
            await self._producer.send_and_wait(
                self.dead_letter_topic, letter.model_dump_json().encode()
            )
        await self._consumer.commit(ends)
        return len(values)

    async def run(self, stop: asyncio.Event) -> None:
        await self.start()
        try:
            failures = 0
            while not stop.is_set():
                try:
                    await self.poll_once()
                    failures = 0
                except Exception:
                    failures += 1
                    log.exception("%s ingestion failed (attempt %d)", self.logical_topic, failures)
                    await self._rewind()
                    await asyncio.sleep(min(30.0, 0.5 * 2 ** min(failures, 6)))
        finally:
            await self.stop()

    async def _rewind(self) -> None:
        """Go back to the last committed offsets: the failed batch is read again."""
        if self._consumer is None:
            return
        for tp in self._consumer.assignment():
            committed = await self._consumer.committed(tp)
            if committed is not None:
                self._consumer.seek(tp, committed)


class ChargebackIngestor(_TopicIngestor):
    """``chargebacks`` → :class:`DisputeService` (group ``riskstream-disputes``)."""

    logical_topic = "chargebacks"
    client_id = "riskstream-disputes"

    def __init__(self, service: DisputeService, settings: Settings, **options: Any) -> None:
        options.setdefault("group_id", "riskstream-disputes")
        super().__init__(settings, now=service.clock.now, **options)
        self.service = service

    async def handle(self, values: list[tuple[MessagePosition, bytes | None]]) -> list[DeadLetter]:
        letters: list[DeadLetter] = []
        for position, raw in values:
            decoded = decode_dispute(raw)
            if isinstance(decoded, Rejected):
                letters.append(self.dead_letter(decoded, position, raw))
                continue
            if isinstance(decoded, Ignored) or raw is None:
                continue
            event: DisputeEvent = decoded
            try:
                await asyncio.to_thread(
                    lambda e=event, r=raw: self.service.record(  # type: ignore[misc]
                        e, via="stream", body_sha256=body_digest(r)
                    )
                )
            except DisputeError as exc:
                error = ErrorDetail(loc="$", code=exc.code, message=str(exc))
                letters.append(self.dead_letter(Rejected("schema", (error,), True), position, raw))
        return letters


class LabelIngestor(_TopicIngestor):
    """``labels`` → the label store (group ``riskstream-labels``), once per ``label_id``."""

    logical_topic = "labels"
    client_id = "riskstream-labels"

    def __init__(self, service: DisputeService, settings: Settings, **options: Any) -> None:
        options.setdefault("group_id", "riskstream-labels")
        super().__init__(settings, now=service.clock.now, **options)
        self.service = service

    async def handle(self, values: list[tuple[MessagePosition, bytes | None]]) -> list[DeadLetter]:
        labels: list[LabelEvent] = []
        letters: list[DeadLetter] = []
        for position, raw in values:
            decoded = decode_label(raw)
            if isinstance(decoded, Rejected):
                letters.append(self.dead_letter(decoded, position, raw))
            else:
                labels.append(decoded)
        if labels:
            new = await asyncio.to_thread(self._record, labels)
            counts: dict[tuple[str, bool], int] = {}
            for label in new:
                counts[(label.source, label.is_fraud)] = (
                    counts.get((label.source, label.is_fraud), 0) + 1
                )
            for (source, fraud), count in counts.items():
                self.service.observer.labels_recorded(source, fraud, count)
        return letters

    def _record(self, labels: list[LabelEvent]) -> list[LabelEvent]:
        with self.service.database.transaction() as session:
            return record_labels(session, labels, self.now())
