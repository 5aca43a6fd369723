"""The agency side of the contract in Python: submit steps, read the inbox and the rejections.

An agency system connects as itself (its own SCRAM user), publishes on its own intake topic
keyed by case id (so one case's submissions stay in order) and reads its inbox and rejection
topics in its own consumer groups. Personal data leaves it only sealed to the backbone's key.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from kafka import KafkaConsumer, KafkaProducer

from deploy.kafka.launcher import BrokerEndpoint
from events import Codec, ContractError, Topics, open_sealed, seal
from events.instants import from_millis
from events.limits import check_lengths, check_occurred_at
from services.kafka.acls import consumer_group_prefix
from services.kafka.provision import load_credentials
from services.kafka.sealingkeys import agency_keypair, backbone_keypair
from services.runtime.kafkaclients import broker_endpoint, client_config
from services.runtime.logs import get_logger
from services.runtime.settings import Settings

log = get_logger(__name__)
IDLE_POLL_S = 0.5


class NotProvisioned(RuntimeError):
    """The agency has no saved credentials: run ``backbone agencies provision`` first."""


@dataclass(frozen=True)
class InboxItem:
    """A case event addressed to the agency: the envelope, its step and any personal data."""

    event: dict[str, Any]
    step: dict[str, Any]
    personal_data: dict[str, str] | None = None
    personal_data_unreadable: bool = False
    """Personal data came sealed but this client's key could not open it (a rotated key?)."""

    @property
    def event_id(self) -> str:
        return str(self.event["event_id"])

    @property
    def case_id(self) -> str:
        return str(self.event["case_id"])

    @property
    def event_type(self) -> str:
        return str(self.event["event_type"])


@dataclass(frozen=True)
class RejectedSubmission:
    """A submission the backbone could not accept, with the reason and the original bytes."""

    rejection_id: str
    submission_id: str
    reason: str
    detail: str
    original: bytes
    source_offset: int
    original_size: int = 0
    original_sha256: str = ""
    original_truncated: bool = False
    """``original`` holds only the message's first bytes (it was too large to return)."""


class AgencyClient:
    """One agency's connection to the backbone; close it (or use ``with``) when done."""

    def __init__(
        self,
        agency: str,
        endpoint: BrokerEndpoint,
        topics: Topics,
        backbone_public_key: str,
        private_key: str | None = None,
        codec: Codec | None = None,
        ack_timeout_s: float = 30.0,
        clock_skew: timedelta = timedelta(minutes=10),
        earliest: datetime = datetime(2000, 1, 1, tzinfo=UTC),
    ) -> None:
        self.agency = agency
        self.endpoint = endpoint
        self.topics = topics
        self.backbone_public_key = backbone_public_key
        self.private_key = private_key
        self.codec = codec or Codec.from_directory()
        self.ack_timeout_s = ack_timeout_s
        self.clock_skew = clock_skew
        self.earliest = earliest
        self._intake = topics.intake(agency)  # refuses an id that cannot name a topic
        self._producer: KafkaProducer | None = None
        self._consumers: dict[str, KafkaConsumer] = {}

    @classmethod
    def from_settings(cls, settings: Settings, agency: str) -> AgencyClient:
        """For local use: the provisioned credentials and keys under the settings' home."""
        broker = broker_endpoint(settings)
        saved = load_credentials(settings, agency)
        if saved is None and broker.security_protocol.startswith("SASL"):
            raise NotProvisioned(f"no credentials for {agency}: run `backbone agencies provision`")
        return cls(
            agency,
            saved.endpoint(broker) if saved else broker,
            Topics(settings.topic_prefix),
            backbone_keypair(settings).public_key,
            agency_keypair(settings, agency).private_key or None,  # None: registered its own
            clock_skew=timedelta(seconds=settings.clock_skew_seconds),
            earliest=datetime.combine(settings.occurred_at_floor, datetime.min.time(), UTC),
        )

    def submit(
        self,
        step: str,
        case_id: str,
        fields: Mapping[str, Any],
        occurred_at: datetime | int | None = None,
        personal_data: Mapping[str, str] | None = None,
        submission_id: str | None = None,
    ) -> str:
        """Publish one step and wait for the broker's acknowledgement; return its submission id.

        Resend with the same ``submission_id`` after a failure: the backbone records it once.
        What the intake would refuse for its lengths or its date raises ``ContractError`` here,
        before anything is sent.
        """
        submission_id = submission_id or str(uuid.uuid4())
        when = datetime.now(UTC) if occurred_at is None else occurred_at
        record = {**fields, "submission_id": submission_id, "case_id": case_id, "occurred_at": when}
        check_lengths(step, record)
        instant = when if isinstance(when, datetime) else from_millis(when)
        check_occurred_at(instant, datetime.now(UTC), self.clock_skew, self.earliest)
        if personal_data:
            check_lengths("PersonalData", personal_data)
            clear = self.codec.encode("PersonalData", personal_data)
            record["personal_data"] = seal(self.backbone_public_key, clear)
        value = self.codec.encode(step, record)
        future = self._producer_().send(self._intake, value, key=case_id.encode())
        future.get(timeout=self.ack_timeout_s)
        log.info(
            "agency.submitted",
            agency=self.agency,
            step=step,
            case_id=case_id,
            submission_id=submission_id,
        )
        return submission_id

    def inbox(self, timeout_s: float = 10.0, max_records: int = 500) -> list[InboxItem]:
        """New case events addressed to the agency (waits up to ``timeout_s`` for the first)."""
        values = self._read(self.topics.inbox(self.agency), "inbox", timeout_s, max_records)
        return [item for value in values if (item := self._inbox_item(value)) is not None]

    def rejections(
        self, timeout_s: float = 10.0, max_records: int = 500
    ) -> list[RejectedSubmission]:
        """New rejections of the agency's submissions (waits up to ``timeout_s`` for the first)."""
        topic = self.topics.rejected(self.agency)
        values = self._read(topic, "rejections", timeout_s, max_records)
        return [item for value in values if (item := self._rejection(value)) is not None]

    def close(self) -> None:
        """Release the broker connections."""
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
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _producer_(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = KafkaProducer(
                **client_config(self.endpoint), acks="all", enable_idempotence=True, linger_ms=2
            )
        return self._producer

    def _consumer(self, topic: str, group: str) -> KafkaConsumer:
        if topic not in self._consumers:
            self._consumers[topic] = KafkaConsumer(
                topic,
                **client_config(self.endpoint),
                group_id=consumer_group_prefix(self.topics, self.agency) + group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
            )
        return self._consumers[topic]

    def _read(self, topic: str, group: str, timeout_s: float, max_records: int) -> list[bytes]:
        """Values not yet read by the agency's group; committed once they are in hand."""
        consumer = self._consumer(topic, group)
        values: list[bytes] = []
        deadline = time.monotonic() + timeout_s
        while len(values) < max_records and (left := deadline - time.monotonic()) > 0:
            wait_ms = int(min(left, IDLE_POLL_S) * 1000)
            batch = consumer.poll(timeout_ms=wait_ms, max_records=max_records - len(values))
            got = [bytes(r.value) for records in batch.values() for r in records]
            if not got and values:
                break  # drained what there was
            values += got
        if values:
            consumer.commit()
        return values

    def _inbox_item(self, value: bytes) -> InboxItem | None:
        try:
            event = self.codec.decode(value).record
            step = self.codec.decode(event["payload"]).record
        except ContractError as error:
            log.warning("agency.unreadable_inbox_record", agency=self.agency, reason=error.reason)
            return None
        try:  # the step must reach the agency even when its personal data cannot be opened
            return InboxItem(event, step, self._open(event.get("personal_data", b"")))
        except ContractError as error:
            log.warning(
                "agency.unopenable_personal_data",
                agency=self.agency,
                event_id=event["event_id"],
                reason=error.reason,
            )
            return InboxItem(event, step, None, personal_data_unreadable=True)

    def _open(self, sealed: bytes) -> dict[str, str] | None:
        if not sealed or self.private_key is None:
            return None
        record = self.codec.decode(open_sealed(self.private_key, sealed)).record
        return {key: str(text) for key, text in record.items()}

    def _rejection(self, value: bytes) -> RejectedSubmission | None:
        try:
            r = self.codec.decode(value).record
        except ContractError as error:
            log.warning("agency.unreadable_rejection", agency=self.agency, reason=error.reason)
            return None
        return RejectedSubmission(
            r["rejection_id"],
            r["submission_id"],
            r["reason"],
            r["detail"],
            r["original"],
            r["source_offset"],
            r["original_size"],
            r["original_sha256"],
            r["original_truncated"],
        )
