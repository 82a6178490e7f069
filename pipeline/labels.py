"""Labels in: fraud and chargeback labels feed the delayed-label features.

Labels arrive days after their transactions (chargebacks, fraud reports, analysts'
outcomes) on the ``labels`` topic. Each fraud label is counted once per transaction
in the merchant and BIN fraud shares; a transaction only ever sees labels known by
its own event time (see features/online.py and the offline twin).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Sequence
from typing import Any

import orjson
from pydantic import ValidationError

from contracts import Clock, ErrorDetail, LabelEvent, MessagePosition, Settings
from contracts.alerts import DeadLetter, PciAlert, PciFindingRecord
from contracts.pci import PciFinding, scan_document
from features import FeatureStoreError, RedisFeatureStore
from pipeline.processor import RawMessage, Send

__all__ = ["LabelProcessor"]

log = logging.getLogger(__name__)


class LabelProcessor:
    """decode → count in the feature store; bad labels go to the dead-letter topic."""

    def __init__(
        self,
        *,
        features: RedisFeatureStore,
        settings: Settings,
        clock: Clock,
        send: Send,
        retry_initial_s: float = 0.2,
        retry_max_s: float = 5.0,
    ) -> None:
        self._features = features
        self._clock = clock
        self._send = send
        self._dlq_topic = settings.topic("transactions.dlq")
        self._pci_topic = settings.topic("alerts.pci")
        self._retry = (retry_initial_s, retry_max_s)

    async def process(self, messages: Sequence[RawMessage]) -> int:
        """Count a batch of labels; returns how many were new."""
        labels: list[LabelEvent] = []
        pending: list[Awaitable[Any]] = []
        for message in messages:
            label = self._decode(message)
            if isinstance(label, LabelEvent):
                labels.append(label)
                continue
            letter, findings = label
            if findings:  # card data or a secret: an alert (paths only), no payload kept
                alert = PciAlert(
                    alert_id=uuid.uuid4().hex,
                    findings=tuple(PciFindingRecord(path=f.path, kind=f.kind) for f in findings),
                    transaction_id=None,
                    position=letter.position,
                    detected_at=letter.received_at,
                )
                pending.append(
                    await self._send(self._pci_topic, None, alert.model_dump_json().encode())
                )
            pending.append(
                await self._send(self._dlq_topic, None, letter.model_dump_json().encode())
            )
        applied = await self._apply(labels) if labels else 0
        await asyncio.gather(*pending)
        return applied

    def _decode(self, message: RawMessage) -> LabelEvent | tuple[DeadLetter, list[PciFinding]]:
        position = MessagePosition(
            source="stream", topic=message.topic, partition=message.partition, offset=message.offset
        )
        raw = message.value or b""
        try:
            document: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            findings = scan_document(raw.decode("utf-8", "replace"))
            if findings:  # never keep a broken payload that carries card data
                return self._refused(findings, position)
            return self._letter("invalid_json", "not a JSON label", position, raw), []
        findings = scan_document(document)
        if findings:
            return self._refused(findings, position)
        try:
            return LabelEvent.model_validate(document)
        except ValidationError as exc:
            first = exc.errors(include_input=False, include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "$"
            return self._letter("schema", f"{where}: {first['msg']}", position, raw), []

    def _refused(
        self, findings: list[PciFinding], position: MessagePosition
    ) -> tuple[DeadLetter, list[PciFinding]]:
        where = ", ".join(f"{f.path} ({f.kind})" for f in findings)
        return self._letter("pci_violation", f"card data in a label: {where}", position, None), (
            findings
        )

    def _letter(
        self, reason: Any, message: str, position: MessagePosition, payload: bytes | None
    ) -> DeadLetter:
        log.warning("label refused at %s[%s]@%s: %s", position.topic, position.partition,
                    position.offset, message)  # fmt: skip
        return DeadLetter(
            reason=reason,
            errors=(ErrorDetail(loc="$", code=reason, message=message),),
            transaction_id=None,
            position=position,
            received_at=self._clock.now(),
            payload=payload.decode("utf-8", "replace") if payload is not None else None,
        )

    async def _apply(self, labels: list[LabelEvent]) -> int:
        delay, ceiling = self._retry
        while True:
            try:
                return await self._features.apply_labels(labels)
            except FeatureStoreError as exc:
                log.warning("%s; retrying labels in %.1fs", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, ceiling)
