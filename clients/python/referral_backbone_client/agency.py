"""An agency system on the backbone's Kafka: publish steps, read the inbox and the rejections.

Steps go to the agency's own intake topic keyed by case id (one case's steps stay in order),
with personal data sealed to the backbone's public key. The inbox brings the steps addressed to
the agency, with the personal data it may read sealed to its own key.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from kafka import KafkaConsumer, KafkaProducer

from referral_backbone_client.connection import Connection
from referral_backbone_client.contract import Contract
from referral_backbone_client.errors import ClientError
from referral_backbone_client.sealing import open_sealed, seal


@dataclass(frozen=True)
class InboxItem:
    """A recorded step addressed to the agency: the ``CaseEvent``, its step and personal data."""

    event: dict[str, Any]
    step_name: str
    step: dict[str, Any]
    personal_data: dict[str, str] | None
    """Opened with the agency's private key; None when the message carried none."""


@dataclass(frozen=True)
class Rejection:
    """A submission the backbone refused: ``reason`` is a code of CONTRACT.md."""

    submission_id: str
    reason: str
    detail: str
    original: bytes
    """The rejected message byte for byte (its first 4,096 bytes if ``truncated``)."""
    truncated: bool


class AgencyClient:
    """One agency's producer and consumers; close it (or use ``with``) when done."""

    def __init__(
        self,
        connection: Connection,
        backbone_public_key: str,
        private_key: str | None = None,
        contract: Contract | None = None,
    ) -> None:
        self.connection = connection
        self.backbone_public_key = backbone_public_key
        self.private_key = private_key
        self.contract = contract or Contract()
        self._producer: KafkaProducer | None = None
        self._consumers: dict[str, KafkaConsumer] = {}

    def submit(
        self, step: str, record: Mapping[str, Any], personal_data: Mapping[str, str] | None = None
    ) -> str:
        """Publish one step (``case_id``, ``occurred_at`` and its fields) and wait for the broker.

        A fresh ``submission_id`` is set unless the record has one; resend with the same id
        after any doubt: it is recorded once. Returns the submission id.
        """
        full = {"submission_id": str(uuid.uuid4()), **record}
        if personal_data:
            sealed = seal(
                self.backbone_public_key, self.contract.encode("PersonalData", personal_data)
            )
            full["personal_data"] = sealed
        self.publish(str(full["case_id"]), self.contract.encode(step, full))
        return str(full["submission_id"])

    def publish(self, case_id: str, message: bytes) -> None:
        """Send one already encoded message to the intake topic, keyed by its case id."""
        if self._producer is None:
            self._producer = KafkaProducer(
                **self.connection.kafka_options(), acks="all", enable_idempotence=True
            )
        self._producer.send(self.connection.intake_topic, message, key=case_id.encode()).get(30)

    def inbox(self, timeout_s: float = 10.0) -> list[InboxItem]:
        """Inbox messages not read before (waits up to ``timeout_s`` for the first)."""
        values = self._read(self.connection.inbox_topic, "inbox", timeout_s)
        return [self._inbox_item(value) for value in values]

    def rejections(self, timeout_s: float = 10.0) -> list[Rejection]:
        """Rejections not read before (waits up to ``timeout_s`` for the first)."""
        values = self._read(self.connection.rejected_topic, "rejections", timeout_s)
        return [_rejection(self.contract.decode(value)[1]) for value in values]

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=10)
            self._producer = None
        for consumer in self._consumers.values():
            consumer.close(autocommit=False)
        self._consumers.clear()

    def __enter__(self) -> AgencyClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _read(self, topic: str, purpose: str, timeout_s: float) -> list[bytes]:
        """What the agency's group has not read yet; offsets committed once in hand."""
        if topic not in self._consumers:
            self._consumers[topic] = KafkaConsumer(
                topic,
                **self.connection.kafka_options(),
                group_id=self.connection.group(purpose),
                enable_auto_commit=False,
                auto_offset_reset="earliest",
            )
        consumer, values = self._consumers[topic], list[bytes]()
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            batch = consumer.poll(timeout_ms=int(min(left, 0.5) * 1000))
            got = [bytes(r.value) for records in batch.values() for r in records]
            if not got and values:
                break
            values += got
        if values:
            consumer.commit()
        return values

    def _inbox_item(self, value: bytes) -> InboxItem:
        event = self.contract.decode(value)[1]
        step_name, step = self.contract.decode(event["payload"])
        return InboxItem(event, step_name, step, self._open(event["personal_data"]))

    def _open(self, sealed: bytes) -> dict[str, str] | None:
        if not sealed:
            return None
        if self.private_key is None:
            raise ClientError("no_private_key", "the inbox carries personal data: give the key")
        opened = self.contract.decode(open_sealed(self.private_key, sealed))[1]
        return {name: str(text) for name, text in opened.items()}


def _rejection(record: Mapping[str, Any]) -> Rejection:
    return Rejection(
        record["submission_id"],
        record["reason"],
        record["detail"],
        record["original"],
        record["original_truncated"],
    )
