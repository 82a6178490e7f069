"""The ingestor: decisions from the stream into the review database.

Reads the ``decisions`` topic in batches (consumer group ``riskstream-review``),
records each batch in one database transaction (:mod:`review_queue.ingest`), and
commits the offsets only after the database commit. A message that cannot be a
decision goes to the dead-letter topic with its reason and position (without the
payload when it carried card data); it never stops the stream.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import ValidationError

from contracts import DeadLetter, Decision, ErrorDetail, MessagePosition, Settings
from contracts.decoding import safe_transaction_id
from contracts.pci import scan_document
from review_queue.ingest import IngestResult, decision_problems
from review_queue.kafka import make_consumer, make_producer
from review_queue.service import ReviewService

__all__ = ["DecisionIngestor", "decode_decision"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rejected:
    dead_letter: DeadLetter


def decode_decision(raw: bytes | None, position: MessagePosition, now: Any) -> Decision | Rejected:
    """A decision, or the dead letter saying why the message is not one."""

    def reject(reason: Any, errors: list[ErrorDetail], doc: object, keep: bool) -> Rejected:
        payload = raw.decode("utf-8", "replace") if keep and raw is not None else None
        return Rejected(
            DeadLetter(
                reason=reason,
                errors=tuple(errors[:20]),
                transaction_id=safe_transaction_id(doc),
                position=position,
                received_at=now,
                payload=payload,
            )
        )

    if raw is None:
        return reject(
            "invalid_json", [ErrorDetail(loc="$", code="empty", message="no value")], None, False
        )
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        text = raw.decode("utf-8", "replace")
        findings = scan_document(text)
        if findings:
            error = ErrorDetail(
                loc="$", code="card_number", message="the payload carries card data"
            )
            return reject("pci_violation", [error], None, False)
        error = ErrorDetail(loc="$", code="invalid_json", message="not a JSON document")
        return reject("invalid_json", [error], None, True)
    findings = scan_document(document)
    if findings:
        errors = [
            ErrorDetail(loc=f.path, code=f.kind, message="card data is never accepted")
            for f in findings
        ]
        return reject("pci_violation", errors, document, False)
    try:
        decision = Decision.model_validate(document)
    except ValidationError as exc:
        errors = [
            ErrorDetail(
                loc=".".join(str(p) for p in error["loc"]) or "$",
                code=error["type"],
                message=error["msg"],
            )
            for error in exc.errors(include_input=False, include_url=False)
        ]
        return reject("schema", errors, document, True)
    problems = decision_problems(decision)
    if problems:
        errors = [ErrorDetail(loc=p.split(":", 1)[0], code="invalid", message=p) for p in problems]
        return reject("schema", errors, document, True)
    return decision


class DecisionIngestor:
    """Consumes decisions into the review database until stopped.

    Args:
        service: records the batches.
        settings: Kafka endpoints, topic prefix, session timeout.
        group_id: the consumer group (one per deployment).
        batch_size: most messages per database transaction.
    """

    def __init__(
        self,
        service: ReviewService,
        settings: Settings,
        *,
        group_id: str = "riskstream-review",
        batch_size: int = 500,
        poll_timeout_ms: int = 500,
        retry_backoff_s: float = 1.0,
    ) -> None:
        self.service = service
        self.settings = settings
        self.topic = settings.topic("decisions")
        self.dead_letter_topic = settings.topic("transactions.dlq")
        self.group_id = group_id
        self.batch_size = batch_size
        self.poll_timeout_ms = poll_timeout_ms
        self.retry_backoff_s = retry_backoff_s
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._consumer = make_consumer(
            self.settings,
            self.topic,
            group_id=self.group_id,
            client_id="riskstream-review-ingestor",
            max_records=self.batch_size,
        )
        self._producer = make_producer(self.settings, client_id="riskstream-review-ingestor")
        await self._producer.start()
        await self._consumer.start()

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def __aenter__(self) -> DecisionIngestor:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def poll_once(self, stop: asyncio.Event | None = None) -> IngestResult | None:
        """Read one batch, record it, commit its offsets. None when nothing arrived."""
        if self._consumer is None or self._producer is None:
            raise RuntimeError("call start() (or use `async with`) before polling")
        batches = await self._consumer.getmany(
            timeout_ms=self.poll_timeout_ms, max_records=self.batch_size
        )
        if not batches:
            return None
        now = self.service.clock.now()
        decisions: list[Decision] = []
        positions: dict[str, str] = {}
        dead: list[DeadLetter] = []
        ends: dict[TopicPartition, int] = {}
        starts: dict[TopicPartition, int] = {}
        for tp, messages in batches.items():
            starts[tp] = messages[0].offset
            ends[tp] = messages[-1].offset + 1
            for message in messages:
                position = MessagePosition(
                    source="stream", topic=tp.topic, partition=tp.partition, offset=message.offset
                )
                decoded = decode_decision(message.value, position, now)
                if isinstance(decoded, Rejected):
                    dead.append(decoded.dead_letter)
                else:
                    decisions.append(decoded)
                    positions[decoded.transaction_id] = (
                        f"{tp.topic}/{tp.partition}@{message.offset}"[-64:]
                    )
        result = await self._record(decisions, positions, starts, stop)
        for letter in dead:
            log.warning(
                "decision at %s/%s@%s rejected (%s) → %s",
                letter.position.topic,
                letter.position.partition,
                letter.position.offset,
                letter.reason,
                self.dead_letter_topic,
            )
            await self._producer.send_and_wait(
                self.dead_letter_topic, letter.model_dump_json().encode()
            )
        await self._consumer.commit(dict(ends.items()))
        return result

    async def _record(
        self,
        decisions: list[Decision],
        positions: Mapping[str, str],
        starts: Mapping[TopicPartition, int],
        stop: asyncio.Event | None,
    ) -> IngestResult:
        attempt = 0
        while True:
            try:
                return await asyncio.to_thread(self.service.ingest, decisions, positions=positions)
            except Exception:
                attempt += 1
                log.exception("recording %d decisions failed (attempt %d)", len(decisions), attempt)
                if stop is not None and stop.is_set():
                    # Leave the batch uncommitted: it is read again after the restart.
                    if self._consumer is not None:
                        for tp, offset in starts.items():
                            self._consumer.seek(tp, offset)
                    raise
                await asyncio.sleep(min(30.0, self.retry_backoff_s * 2 ** min(attempt, 5)))

    async def run(self, stop: asyncio.Event) -> None:
        """Ingest until ``stop`` is set."""
        while not stop.is_set():
            result = await self.poll_once(stop)
            if result is not None and (result.decisions_recorded or result.cases_opened):
                log.info(
                    "recorded %d decisions, opened %d review cases",
                    result.decisions_recorded,
                    len(result.cases_opened),
                )
